"""Turn raw text into padded integer token sequences for a GRU with an embedding layer.

:class:`TokenSequencer` is the scikit-learn counterpart of Keras' ``Tokenizer`` /
``TextVectorization(output_mode="int")``: it learns a vocabulary from training documents and
maps each document to a row of token ids, so that

    make_pipeline(TokenSequencer(), GRUClassifier(embedding_dim=32))

classifies text end to end. Id ``PADDING_ID`` (0) marks padding and ``OOV_ID`` (1) marks a
token outside the vocabulary; vocabulary tokens get the ids from 2 on, most frequent first.
"""

import math
import re
from collections import Counter
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.utils import metadata_routing
from sklearn.utils.validation import check_is_fitted

from pygru._numbers import refuse_bools_for_counts
from pygru._sequences import (
    SequencesOut,
    _as_token_ids,
    _is_list_of_sequences,
    padded_token_rows,
)
from pygru._sklearn_private import Interval, RealNotInt, StrOptions, _fit_context

__all__ = ["OOV_ID", "PADDING_ID", "TokenSequencer"]

PADDING_ID = 0
OOV_ID = 1
_FIRST_TOKEN_ID = 2


def _count(number):
    """A whole number for a message, one past float's range too (max_len=10**400 made the
    message itself fail, review40)."""
    return f"{number:,}" if number < 10**15 else f"about 10**{int(math.log10(number))}"


class TokenSequencer(SequencesOut, TransformerMixin, BaseEstimator):
    """Map raw text documents to post-padded sequences of integer token ids.

    Documents are preprocessed and tokenised exactly as by
    :class:`~sklearn.feature_extraction.text.CountVectorizer` (lowercasing, accent stripping
    if asked, then ``token_pattern``; as there, a character that stripping decomposes into
    capitals, such as Unicode's mathematical bold letters, stays upper case). ``fit``
    learns a vocabulary; ``transform`` replaces every token by its id and pads or truncates
    every document to ``max_len_`` ids. The result is what an embedding layer followed by a
    GRU expects.

    The vocabulary is learned from the part of each training document that its row keeps
    (all of it, or the first or last ``max_len_`` tokens when ``max_len`` truncates). So
    every vocabulary id occurs in ``fit_transform``'s output, and a model fitted on that
    output, such as ``GRUClassifier(embedding_dim=...)`` in a pipeline, has learned an
    embedding for every vocabulary token. A token seen only in the truncated part is out of
    vocabulary, as it is for the model. (Keras' ``TextVectorization`` counts whole
    documents instead.) The OOV id occurs in training only where ``max_features`` or
    ``min_df`` leave tokens out, or a training document has none; otherwise a model never
    learns its embedding, and later unknown tokens all read the same initial vector (set
    ``min_df=2`` or ``max_features`` to give the model rare tokens as OOV to learn from).

    Ids follow one convention:

    - ``0`` is padding. Padding is always at the end of a row (post-padding), so the trailing
      zeros of a row mark where its sequence ends; the GRU estimators read sequence lengths
      from them.
    - ``1`` stands for any token that is not in the vocabulary (out of vocabulary, OOV).
    - ``2, 3, ...`` are the vocabulary tokens, the most frequent first.

    Parameters
    ----------
    max_features : int or None, default=None
        Keep only the ``max_features`` most frequent tokens of the training documents (counted
        over all their occurrences in the kept part, as in ``CountVectorizer``); the others
        become OOV. Tokens that occur equally often are ordered alphabetically, so the
        vocabulary does not depend on the order of the training documents. Padding and OOV
        are not counted: the embedding table needs ``max_features + 2`` rows. None keeps
        every token.

    max_len : int or None, default=None
        Number of ids per output row. Longer documents are truncated (see ``truncating``),
        shorter ones padded with zeros. None uses the length of the longest training
        document.

    lowercase : bool, default=True
        Convert all characters to lowercase before tokenising.

    strip_accents : {"ascii", "unicode"} or None, default=None
        Remove accents and other marks before tokenising, as in ``CountVectorizer``:
        ``"unicode"`` decomposes each character (NFKD) and drops the combining marks, so
        "café" written with a precomposed é or with e plus an accent mark is "cafe";
        ``"ascii"`` also drops every character without an ASCII equivalent. None leaves
        the text as it is, and a word whose accent is a separate mark (NFD text, as some
        macOS applications write) is split at it: ``"unicode"`` is the remedy. It is applied
        after lowercasing, as in ``CountVectorizer``. The default ``token_pattern``'s
        ``\\w`` does not match some vowel signs, of Devanagari for one, which split such
        words ("हिन्दी" reads as three tokens, two with ``"unicode"``): pass a pattern of
        your own there. Lowercasing first also splits a precomposed Turkish "İ" into "i"
        and a combining dot, which the default pattern reads as a break (``"unicode"``
        drops the dot).

    token_pattern : str, default=r"(?u)\\b\\w+\\b"
        Regular expression that defines a token, as in ``CountVectorizer``. Unlike
        ``CountVectorizer``'s default, the default here keeps one-character tokens (as
        Keras does), because in a sequence model every word carries position information.
        If the pattern has one capturing group, the group's content is the token.

    min_df : int or float, default=1
        Ignore tokens that occur in fewer than ``min_df`` training documents (an int), or in a
        smaller fraction of them than ``min_df`` (a float in [0.0, 1.0]). Applied before
        ``max_features``.

    truncating : {"post", "pre"}, default="post"
        Which ids a document longer than ``max_len_`` keeps: ``"post"`` keeps its first
        ``max_len_`` tokens (drops the end), ``"pre"`` keeps its last ``max_len_`` tokens
        (drops the beginning).

    Attributes
    ----------
    vocabulary_ : dict of str to int
        Maps each vocabulary token to its id (2, 3, ...; the most frequent token has id 2).

    vocabulary_size_ : int
        Number of distinct ids ``transform`` can output, padding and OOV included:
        ``len(vocabulary_) + 2``. This is the number of rows an embedding table needs.

    max_len_ : int
        Number of ids per row of ``transform``'s output.

    See Also
    --------
    sklearn.feature_extraction.text.CountVectorizer : Bag-of-words counts; same tokenisation.
    pygru.GRUClassifier : Reads the ids through an embedding layer (``embedding_dim``).

    Notes
    -----
    A GRU needs at least one step per sequence, so a document without any token (an empty
    string, or one with only punctuation) becomes a single OOV id followed by padding, just
    like a document whose only token is unknown.

    Tagging, one label per token (``GRUClassifier(embedding_dim=..., output="sequence")``):
    build each document's labels on ``build_analyzer()(document)``, whose token ``i`` is step
    ``i`` of the document's row as long as the row holds the whole document. A row holds at
    most ``max_len_`` tokens, and with ``max_len=None`` that is the longest *training*
    document: a longer one is cut (at the end, or with ``truncating="pre"`` at the start)
    and the model tags only the tokens kept. Give ``max_len`` room for the longest document
    to be tagged (the estimators read a row only up to its last token), or cut its labels
    as its tokens are cut; and give a document without tokens one label (its OOV step), or
    leave it out: in a padded label array its padding would be read as that label. A
    padded label array is read from the start of each row, so with ``truncating="pre"``
    pass a list of each document's labels, cut as its tokens are (an array's extra labels
    would pass for padding, and the first ones be read for the tokens kept).

    There is no ``get_feature_names_out``: the output columns are positions in a sequence,
    not features with names; ``set_output`` accepts only the default container.

    Examples
    --------
    >>> from pygru.text import TokenSequencer
    >>> docs = ["The cat sat.", "The dog sat down.", "A cat!"]
    >>> sequencer = TokenSequencer().fit(docs)
    >>> sequencer.vocabulary_
    {'cat': 2, 'sat': 3, 'the': 4, 'a': 5, 'dog': 6, 'down': 7}
    >>> sequencer.vocabulary_size_, sequencer.max_len_
    (8, 4)
    >>> sequencer.transform(["the cat", "a bird sat", "", "the dog sat on the mat"])
    array([[4, 2, 0, 0],
           [5, 1, 3, 0],
           [1, 0, 0, 0],
           [4, 6, 3, 1]])
    >>> sequencer.inverse_transform([[5, 1, 3, 0]])
    [['a', None, 'sat']]

    Truncated, each row keeps its last three tokens, and the vocabulary is counted over
    them ("the" now occurs once):

    >>> sequencer.set_params(max_len=3, truncating="pre").fit_transform(docs)
    array([[7, 2, 3],
           [5, 3, 6],
           [4, 2, 0]])
    """

    _parameter_constraints: dict = {
        "max_features": [Interval(Integral, 1, None, closed="left"), None],
        "max_len": [Interval(Integral, 1, None, closed="left"), None],
        "lowercase": ["boolean"],
        "strip_accents": [StrOptions({"ascii", "unicode"}), None],
        "token_pattern": [str],
        "min_df": [
            Interval(RealNotInt, 0, 1, closed="both"),
            Interval(Integral, 1, None, closed="left"),
        ],
        "truncating": [StrOptions({"post", "pre"})],
    }
    # The documents are X, not metadata to route, as for CountVectorizer.
    __metadata_request__fit = {"raw_documents": metadata_routing.UNUSED}
    __metadata_request__transform = {"raw_documents": metadata_routing.UNUSED}

    def __init__(
        self,
        *,
        max_features=None,
        max_len=None,
        lowercase=True,
        strip_accents=None,
        token_pattern=r"(?u)\b\w+\b",
        min_df=1,
        truncating="post",
    ):
        self.max_features = max_features
        self.max_len = max_len
        self.lowercase = lowercase
        self.strip_accents = strip_accents
        self.token_pattern = token_pattern
        self.min_df = min_df
        self.truncating = truncating

    def _validate_params(self):
        super()._validate_params()
        refuse_bools_for_counts(self)  # max_len=True failed in transform, unnamed

    def __setstate__(self, state):
        # A pickle from before strip_accents existed lacks it: None is what it did
        super().__setstate__(state)
        self.__dict__.setdefault("strip_accents", None)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, raw_documents, y=None):
        """Learn the vocabulary and the sequence length from training documents.

        Parameters
        ----------
        raw_documents : iterable of str
            Training documents, e.g. a list of strings or a pandas Series of strings.

        y : None
            Ignored; present for API consistency.

        Returns
        -------
        self : TokenSequencer
            The fitted transformer.
        """
        self._fit(self._tokenize(raw_documents))
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, raw_documents, y=None):
        """Learn the vocabulary from documents and return their id sequences.

        Equivalent to ``fit(raw_documents).transform(raw_documents)``, but tokenises once
        and accepts a one-shot iterable such as a generator.

        Parameters
        ----------
        raw_documents : iterable of str
            Training documents.

        y : None
            Ignored; present for API consistency.

        Returns
        -------
        ids : ndarray of shape (n_documents, max_len_), dtype int64
            Token ids, post-padded with zeros.
        """
        token_lists = self._tokenize(raw_documents)
        self._fit(token_lists)
        return self._to_ids(token_lists)

    def transform(self, raw_documents):
        """Map documents to post-padded, truncated sequences of token ids.

        Parameters
        ----------
        raw_documents : iterable of str
            Documents to encode.

        Returns
        -------
        ids : ndarray of shape (n_documents, max_len_), dtype int64
            Row ``i`` holds the ids of document ``i``'s tokens followed by zeros. Unknown
            tokens are 1; a document without tokens is the single id 1.
        """
        check_is_fitted(self)
        return self._to_ids(self._tokenize(raw_documents))

    def inverse_transform(self, X):
        """Map id sequences back to lists of tokens.

        Parameters
        ----------
        X : array-like of shape (n_documents, sequence_length), or list of sequences
            Integer token ids as returned by ``transform``: each row is a sequence followed
            by zero or more padding zeros. A list may hold sequences of different lengths,
            as the estimators take them.

        Returns
        -------
        token_lists : list of list of str or None
            The tokens of each row without its padding; an OOV id becomes None.
        """
        check_is_fitted(self)
        # The forms of ids the estimators read (whole-number floats, pandas' Int64), as
        # they read them; an empty array of 2 dimensions round-trips transform([]).
        if _is_list_of_sequences(X) and len(X) and all(np.ndim(row) for row in X):
            X = padded_token_rows(X)
        ids = _as_token_ids(X, "X", 2)
        if ids.size and (ids.min() < 0 or ids.max() >= self.vocabulary_size_):
            raise ValueError(
                f"Token ids must lie in [0, {self.vocabulary_size_}) for this vocabulary; "
                f"X holds ids from {ids.min()} to {ids.max()}."
            )
        tokens_by_id = [None] * self.vocabulary_size_
        for token, token_id in self.vocabulary_.items():
            tokens_by_id[token_id] = token
        token_lists = []
        for row_index, row in enumerate(ids):
            nonzero = np.flatnonzero(row)
            length = int(nonzero[-1]) + 1 if nonzero.size else 0
            if length != nonzero.size:
                raise ValueError(
                    f"Row {row_index} of X has the padding id 0 before its last token; "
                    "padding must come after the sequence."
                )
            token_lists.append([tokens_by_id[token_id] for token_id in row[:length].tolist()])
        return token_lists

    def _tokenize(self, raw_documents):
        """Check the documents and return a list with the tokens of each."""
        if isinstance(raw_documents, (str, bytes)) or getattr(raw_documents, "ndim", 1) == 0:
            raise ValueError("Iterable over raw text documents expected, string object received.")
        if getattr(raw_documents, "ndim", 1) != 1:
            # Iterating a DataFrame gives its column names, each read as one document.
            raise ValueError(
                f"Iterable over raw text documents expected, got a {raw_documents.ndim}-D "
                f"{type(raw_documents).__name__} of shape {raw_documents.shape}: pass one "
                "column of text, e.g. df['text']."
            )
        try:
            documents = iter(raw_documents)
        except TypeError:
            raise TypeError(
                "Iterable over raw text documents expected, "
                f"{type(raw_documents).__name__} object received."
            ) from None
        analyze = self.build_analyzer()
        token_lists = []
        for index, document in enumerate(documents):
            if not isinstance(document, str):
                raise TypeError(
                    f"Every document must be a str; document {index} is a "
                    f"{type(document).__name__}: {document!r:.60}."
                )
            token_lists.append(analyze(document))
        return token_lists

    def build_analyzer(self):
        """Return the callable that splits a document into its tokens, as ``fit`` and
        ``transform`` do before truncating it: the analyzer of
        :class:`~sklearn.feature_extraction.text.CountVectorizer` with this sequencer's
        ``lowercase``, ``strip_accents`` and ``token_pattern``. Labels per token (tagging)
        are built on these tokens.

        Returns
        -------
        analyzer : callable
            Maps a document (a string) to the list of its tokens.

        Examples
        --------
        >>> from pygru.text import TokenSequencer
        >>> TokenSequencer(lowercase=False).build_analyzer()("Bob met Carol, at 10.")
        ['Bob', 'met', 'Carol', 'at', '10']
        """
        try:
            pattern = re.compile(self.token_pattern)
        except re.error as error:
            raise ValueError(
                f"token_pattern {self.token_pattern!r} is not a valid regular expression: {error}."
            ) from error
        if pattern.fullmatch(""):  # every document would be copies of the token ""
            raise ValueError(
                f"token_pattern {self.token_pattern!r} matches the empty string, so every "
                'position of a text would be a token "": a token needs at least one '
                'character (r"\\w+" rather than r"\\w*").'
            )
        vectorizer = CountVectorizer(
            lowercase=self.lowercase,
            strip_accents=self.strip_accents,
            token_pattern=self.token_pattern,
        )
        return vectorizer.build_analyzer()

    def _fit(self, token_lists):
        n_documents = len(token_lists)
        if n_documents == 0:
            raise ValueError("TokenSequencer needs at least one training document; got 0.")
        # Set with the vocabulary, once the documents are accepted: a refused refit left
        # the new length beside the old vocabulary, and transform's rows changed (audit38e).
        if self.max_len is None:
            max_len = max(max(len(tokens), 1) for tokens in token_lists)
        else:
            max_len = self.max_len
        # Counted over what the rows keep, so that every vocabulary id occurs in the
        # training output: an embedding fitted on it has a trained row for each id.
        token_lists = [self._kept_tokens(tokens, max_len) for tokens in token_lists]
        token_counts = Counter()
        document_counts = Counter()
        for tokens in token_lists:
            token_counts.update(tokens)
            document_counts.update(set(tokens))
        if "" in token_counts:  # a pattern that matches "" only in some places (r"\b\w*")
            raise ValueError(
                f'token_pattern {self.token_pattern!r} gave the empty token "" in the '
                "training documents (a match, or with one capture group the group's match, "
                "that is empty): a token needs at least one character."
            )
        if not token_counts:
            raise ValueError(
                "Empty vocabulary: no training document contains a token matching "
                f"token_pattern={self.token_pattern!r}."
            )
        # A share compared as a share: 0.55 * 100 is 55.00000000000001, which 55 missed.
        per = 1 if isinstance(self.min_df, Integral) else n_documents
        kept = [token for token, count in document_counts.items() if count / per >= self.min_df]
        if not kept:
            raise ValueError(
                f"After pruning with min_df={self.min_df!r}, no tokens remain. Try a lower min_df."
            )
        # Alphabetical tie-breaking makes the vocabulary independent of document order.
        kept.sort(key=lambda token: (-token_counts[token], token))
        kept = kept[: self.max_features]

        self.max_len_ = int(max_len)  # (a NumPy int overflowed in the size message, review40c)
        self.vocabulary_ = {
            token: token_id for token_id, token in enumerate(kept, _FIRST_TOKEN_ID)
        }
        self.vocabulary_size_ = len(self.vocabulary_) + _FIRST_TOKEN_ID

    def _to_ids(self, token_lists):
        ids = self._padding_rows(len(token_lists))
        for row, tokens in zip(ids, token_lists):
            kept = self._kept_tokens(tokens, self.max_len_)
            sequence = [self.vocabulary_.get(token, OOV_ID) for token in kept] or [OOV_ID]
            row[: len(sequence)] = sequence
        return ids

    def _padding_rows(self, n_documents):
        """``n_documents`` rows of ``max_len_`` padding ids; a MemoryError naming max_len
        where they cannot be allocated (NumPy's named neither, and past the address space
        said only "Maximum allowed dimension exceeded", audit40e)."""
        try:
            return np.full((n_documents, self.max_len_), PADDING_ID, dtype=np.int64)
        except (MemoryError, ValueError) as error:
            gibibytes = -(-n_documents * self.max_len_ * 8 // 2**30)
            raise MemoryError(
                f"{n_documents:,} rows of max_len_={_count(self.max_len_)} token ids "
                f"({_count(gibibytes)} GiB of int64) cannot be allocated: choose a smaller "
                f"max_len (None takes the longest training document)"
            ) from error

    def _kept_tokens(self, tokens, max_len):
        """The tokens of a document that its row holds: its first ``max_len`` ("post"
        truncation) or its last ``max_len`` ("pre")."""
        if self.truncating == "post":
            return tokens[:max_len]
        return tokens[-max_len:]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        tags.transformer_tags.preserves_dtype = []
        return tags
