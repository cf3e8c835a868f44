"""Short English texts with human sentiment ratings (the VADER ground truth)."""

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.utils import Bunch

from pygru._numbers import as_flag, is_real
from pygru._sklearn_private import InvalidParameterError

from ._base import read_data_text

__all__ = ["load_movie_reviews", "load_tweets"]

_VADER_CITATION = (
    "Hutto, C. J. and Gilbert, E. (2014). VADER: a parsimonious rule-based model "
    "for sentiment analysis of social media text. Proceedings of the Eighth "
    "International AAAI Conference on Weblogs and Social Media (ICWSM-14), "
    "216-225."
)
_PANG_LEE_CITATION = (
    "Pang, B. and Lee, L. (2005). Seeing stars: exploiting class relationships "
    "for sentiment categorization with respect to rating scales. Proceedings of "
    "the 43rd Annual Meeting of the Association for Computational Linguistics "
    "(ACL), 115-124."
)
_TARGET_NAMES = np.array(["negative", "positive"])


def load_movie_reviews(threshold=0.5, *, test_size=0.2, random_state=0, return_X_y=False):
    """Load 10,605 movie-review sentences rated for sentiment, as a binary task.

    The sentences are snippets of rottentomatoes.com reviews (the sentence
    polarity data of Pang & Lee); Hutto & Gilbert (2014) had each one rated
    by about 20 people on a scale from -4 (extremely negative) to +4
    (extremely positive) and published the mean rating. The label is the sign
    of that mean: 1 (positive) or 0 (negative). Sentences whose mean rating
    is near zero are dropped, because the raters did not agree on a polarity.
    With the default ``threshold=0.5``, 10,072 sentences remain (4,996
    positive, 5,076 negative).

    Parameters
    ----------
    threshold : float in [0, 4], default=0.5
        Sentences with ``abs(rating) < threshold`` are dropped; ratings of
        exactly 0 are always dropped.
    test_size : float or int, default=0.2
        Fraction (a float in (0, 1)) or number (an int) of the kept sentences in the
        test set. The split is stratified by label and, with a fixed
        ``random_state``, the same on every call.
    random_state : int, RandomState instance or None, default=0
        Seed of the split (passed to
        :func:`sklearn.model_selection.train_test_split`).
    return_X_y : bool, default=False
        Return ``(X_train, y_train, X_test, y_test)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``X_train``, ``X_test`` (lists of str), ``y_train``, ``y_test`` (int64
        arrays of 0/1), ``rating_train``, ``rating_test`` (float64 mean
        ratings, for regression), ``target_names`` (``["negative",
        "positive"]``), ``threshold``, ``name``, ``DESCR`` and ``citation``.
    (X_train, y_train, X_test, y_test) : tuple
        If ``return_X_y`` is True.

    Examples
    --------
    >>> from pygru.datasets import load_movie_reviews
    >>> reviews = load_movie_reviews()
    >>> len(reviews.X_train), len(reviews.X_test)
    (8057, 2015)
    >>> reviews.target_names
    array(['negative', 'positive'], dtype='<U8')
    """
    return _load_vader(
        "movie_reviews",
        "movieReviewSnippets_GroundTruth.txt.gz",
        "10,605 sentence-level snippets of movie reviews from rottentomatoes.com "
        "(the sentences of Pang & Lee's sentence polarity data), each rated for "
        "sentiment by about 20 people on a -4..+4 scale.",
        f"{_VADER_CITATION}\n{_PANG_LEE_CITATION}",
        threshold,
        test_size,
        random_state,
        return_X_y,
    )


def load_tweets(threshold=0.5, *, test_size=0.2, random_state=0, return_X_y=False):
    """Load 4,200 tweet-like texts rated for sentiment, as a binary task.

    4,000 tweets from Twitter's public timeline (user names replaced by
    ``@anonymous``, links by ``http://url_removed``) and 200 contrived
    tweet-like texts that exercise negation, intensifiers, emoticons and
    slang, each rated by about 20 people from -4 to +4 (Hutto & Gilbert,
    2014). The label is the sign of the mean rating, 1 (positive) or 0
    (negative), and near-zero ratings are dropped. With the default
    ``threshold=0.5``, 3,432 texts remain (2,345 positive, 1,087 negative).

    Parameters
    ----------
    threshold : float in [0, 4], default=0.5
        Texts with ``abs(rating) < threshold`` are dropped; ratings of exactly
        0 are always dropped.
    test_size : float or int, default=0.2
        Fraction (a float in (0, 1)) or number (an int) of the kept texts in the test
        set. The split is stratified by label and, with a fixed ``random_state``, the
        same on every call.
    random_state : int, RandomState instance or None, default=0
        Seed of the split (passed to
        :func:`sklearn.model_selection.train_test_split`).
    return_X_y : bool, default=False
        Return ``(X_train, y_train, X_test, y_test)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``X_train``, ``X_test`` (lists of str), ``y_train``, ``y_test`` (int64
        arrays of 0/1), ``rating_train``, ``rating_test`` (float64 mean
        ratings, for regression), ``target_names`` (``["negative",
        "positive"]``), ``threshold``, ``name``, ``DESCR`` and ``citation``.
    (X_train, y_train, X_test, y_test) : tuple
        If ``return_X_y`` is True.

    See Also
    --------
    load_movie_reviews : Longer, more formal texts rated the same way.

    Examples
    --------
    >>> from pygru.datasets import load_tweets
    >>> X_train, y_train, X_test, y_test = load_tweets(return_X_y=True)
    >>> len(X_train), len(X_test)
    (2745, 687)
    """
    return _load_vader(
        "tweets",
        "tweets_GroundTruth.txt.gz",
        "4,200 tweet-like texts (4,000 anonymised tweets and 200 contrived ones), "
        "each rated for sentiment by about 20 people on a -4..+4 scale.",
        _VADER_CITATION,
        threshold,
        test_size,
        random_state,
        return_X_y,
    )


def _load_vader(name, filename, summary, citation, threshold, test_size, random_state, return_X_y):
    return_X_y = as_flag("return_X_y", return_X_y)
    # scikit-learn reads True as 1 text and None as a quarter of them, and refuses NumPy's
    # scalars with a message that names train_test_split.
    if test_size is None or isinstance(test_size, (bool, np.bool_)):
        raise TypeError(
            f"test_size must be a float in (0, 1) or a count of texts, got {test_size}"
        )
    if isinstance(test_size, np.generic):
        test_size = test_size.item()
    if not is_real(threshold):
        raise TypeError(f"threshold must be a number, got {threshold!r}")
    if not 0 <= threshold <= 4:
        raise ValueError(f"threshold must be in [0, 4], got {threshold}")
    texts, all_ratings = _read_ground_truth(filename)
    keep = (np.abs(all_ratings) >= threshold) & (all_ratings != 0)
    texts = [text for text, kept in zip(texts, keep) if kept]
    ratings = all_ratings[keep]
    labels = (ratings > 0).astype(np.int64)
    try:
        X_train, X_test, y_train, y_test, rating_train, rating_test = train_test_split(
            texts,
            labels,
            ratings,
            test_size=test_size,
            random_state=random_state,
            stratify=labels,
        )
    except InvalidParameterError:
        raise  # test_size or random_state is of the wrong kind: scikit-learn names it
    except ValueError as error:
        positive = int(labels.sum())
        raise ValueError(
            f"threshold={threshold} with test_size={test_size} cannot be split: it leaves "
            f"{positive} positive and {len(labels) - positive} negative texts (the largest "
            f"|rating| is {np.abs(all_ratings).max():g}), and the "
            f"stratified split says: {error}"
        ) from None
    if return_X_y:
        return X_train, y_train, X_test, y_test
    description = "\n".join(
        [
            name,
            "=" * len(name),
            "",
            summary,
            "",
            f"Labels: 1 = positive (mean rating > 0), 0 = negative; ratings with "
            f"absolute value below {threshold} (and exact zeros) dropped, "
            f"leaving {len(labels)} texts ({labels.sum()} positive). Stratified "
            f"split: {len(X_train)} train, {len(X_test)} test "
            f"(test_size={test_size}, random_state={random_state!r}).",
            "",
            f"Source: hutto_ICWSM_2014/{filename[:-3]} from the vaderSentiment "
            "3.3.2 source archive (MIT licence); see pygru/datasets/data/README.md.",
            "",
            "Please cite:",
            citation,
        ]
    )
    return Bunch(
        X_train=X_train,
        y_train=y_train,
        X_test=X_test,
        y_test=y_test,
        rating_train=rating_train,
        rating_test=rating_test,
        target_names=_TARGET_NAMES.copy(),
        threshold=threshold,
        name=name,
        DESCR=description,
        citation=citation,
    )


def _read_ground_truth(filename):
    """Read an ``id<TAB>mean rating<TAB>text`` file with CRLF line endings."""
    source = f"pygru/datasets/data/VADER/{filename}"
    texts, ratings = [], []
    lines = read_data_text("VADER", filename).split("\n")
    for lineno, line in enumerate(lines, start=1):
        line = line.rstrip("\r")
        if not line:
            continue
        fields = line.split("\t", 2)
        try:
            if len(fields) != 3:
                raise ValueError
            ratings.append(float(fields[1]))
        except ValueError:
            raise ValueError(
                f"{source}, line {lineno}: expected 'id<TAB>rating<TAB>text'"
            ) from None
        texts.append(fields[2])
    return texts, np.asarray(ratings, dtype=np.float64)
