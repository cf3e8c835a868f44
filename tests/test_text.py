import doctest
import io
import pickle
import unicodedata

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils import estimator_checks

import pygru.text
from pygru import load, save
from pygru.text import OOV_ID, PADDING_ID, TokenSequencer

DOCS = [
    "the cat sat on the mat",
    "The dog sat",
    "a cat and a dog",
    "zebra",
]


def test_docstring_examples():
    result = doctest.testmod(pygru.text, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0


def test_vocabulary_is_ordered_by_frequency_then_alphabetically():
    sequencer = TokenSequencer().fit(DOCS)
    # counts: the 3; a, cat, dog, sat 2; and, mat, on, zebra 1
    assert list(sequencer.vocabulary_) == [
        "the",
        "a",
        "cat",
        "dog",
        "sat",
        "and",
        "mat",
        "on",
        "zebra",
    ]
    assert list(sequencer.vocabulary_.values()) == list(range(2, 11))
    assert sequencer.vocabulary_size_ == 11
    assert all(type(token_id) is int for token_id in sequencer.vocabulary_.values())


def test_vocabulary_does_not_depend_on_document_order():
    forward = TokenSequencer().fit(DOCS).vocabulary_
    backward = TokenSequencer().fit(DOCS[::-1]).vocabulary_
    assert list(forward.items()) == list(backward.items())


def test_tokens_match_count_vectorizer():
    pattern = r"(?u)\b\w\w+\b"
    sequencer = TokenSequencer(token_pattern=pattern).fit(DOCS)
    vectorizer = CountVectorizer(token_pattern=pattern).fit(DOCS)
    assert set(sequencer.vocabulary_) == set(vectorizer.vocabulary_)


@pytest.mark.parametrize("strip_accents", ["unicode", "ascii"])
def test_accents_are_stripped_as_count_vectorizer_strips_them(strip_accents, tmp_path):
    # Text with separate accent marks (NFD) was split at each mark: "résumé" read as "re"
    # and "sume", out of vocabulary for a model fitted on the same words precomposed.
    precomposed = ["Résumé du café", "naïve façade, Ærø", "東京 café"]
    decomposed = [unicodedata.normalize("NFD", doc) for doc in precomposed]
    sequencer = TokenSequencer(strip_accents=strip_accents).fit(precomposed)
    vectorizer = CountVectorizer(strip_accents=strip_accents, token_pattern=r"(?u)\b\w+\b")
    assert set(sequencer.vocabulary_) == set(vectorizer.fit(precomposed).vocabulary_)
    assert "cafe" in sequencer.vocabulary_
    np.testing.assert_array_equal(
        sequencer.transform(decomposed), sequencer.transform(precomposed)
    )
    assert OOV_ID not in sequencer.transform(decomposed)
    save(sequencer, tmp_path / "sequencer.npz")
    np.testing.assert_array_equal(
        load(tmp_path / "sequencer.npz").transform(decomposed), sequencer.transform(decomposed)
    )


def test_max_features_keeps_the_most_frequent_tokens():
    sequencer = TokenSequencer(max_features=3).fit(DOCS)
    assert sequencer.vocabulary_ == {"the": 2, "a": 3, "cat": 4}
    assert sequencer.vocabulary_size_ == 5
    ids = sequencer.transform(["the dog sat on a cat"])
    np.testing.assert_array_equal(ids, [[2, 1, 1, 1, 3, 4]])
    assert ids.max() < sequencer.vocabulary_size_


def test_max_features_larger_than_vocabulary():
    sequencer = TokenSequencer(max_features=1000).fit(DOCS)
    assert len(sequencer.vocabulary_) == 9


def test_min_df_counts_documents_not_occurrences():
    # "the" occurs 3 times but in 2 documents; "a" twice in 1 document
    sequencer = TokenSequencer(min_df=2).fit(DOCS)
    assert list(sequencer.vocabulary_) == ["the", "cat", "dog", "sat"]
    as_fraction = TokenSequencer(min_df=0.5).fit(DOCS)
    assert as_fraction.vocabulary_ == sequencer.vocabulary_
    # A share met exactly is kept: 0.55 * 100 is 55.00000000000001, and "shared" in 55 of
    # 100 documents was dropped (audit39h); 54 of them is a smaller share.
    for documents, kept in ((55, True), (54, False)):
        texts = ["shared common"] * documents + ["common"] * (100 - documents)
        vocabulary = TokenSequencer(min_df=0.55).fit(texts).vocabulary_
        assert ("shared" in vocabulary) == kept


def test_min_df_that_removes_everything_raises():
    with pytest.raises(ValueError, match="min_df"):
        TokenSequencer(min_df=5).fit(DOCS)


def test_unknown_tokens_map_to_oov():
    sequencer = TokenSequencer().fit(DOCS)
    ids = sequencer.transform(["the unicorn sat", "UNICORN"])
    the, sat = sequencer.vocabulary_["the"], sequencer.vocabulary_["sat"]
    np.testing.assert_array_equal(ids[:, :3], [[the, OOV_ID, sat], [OOV_ID, 0, 0]])


def test_lowercase_false_keeps_case():
    sequencer = TokenSequencer(lowercase=False).fit(DOCS)
    assert "The" in sequencer.vocabulary_ and "the" in sequencer.vocabulary_
    assert sequencer.transform(["THE"])[0, 0] == OOV_ID


def test_output_is_int64_and_post_padded():
    sequencer = TokenSequencer().fit(DOCS)
    ids = sequencer.transform(DOCS)
    assert ids.dtype == np.int64
    assert ids.shape == (4, 6)
    lengths = (ids != PADDING_ID).sum(axis=1)
    np.testing.assert_array_equal(lengths, [6, 3, 5, 1])
    for row, length in zip(ids, lengths):
        assert np.all(row[:length] != PADDING_ID)
        assert np.all(row[length:] == PADDING_ID)


def test_max_len_none_is_longest_training_document():
    sequencer = TokenSequencer().fit(DOCS)
    assert sequencer.max_len_ == 6
    # longer documents at transform time are truncated to the training length
    assert sequencer.transform(["a " * 20]).shape == (1, 6)


def test_max_len_set_pads_beyond_longest_document():
    sequencer = TokenSequencer(max_len=10).fit(DOCS)
    assert sequencer.max_len_ == 10
    ids = sequencer.transform(["zebra"])
    np.testing.assert_array_equal(ids, [[sequencer.vocabulary_["zebra"]] + [0] * 9])


@pytest.mark.parametrize("max_len", [2**62, 10**30, 10**400])
def test_rows_too_long_to_allocate_name_max_len(max_len):
    # NumPy's "Maximum allowed dimension exceeded" named neither (audit40e).
    with pytest.raises(MemoryError, match=r"rows of max_len_=.*choose a smaller max_len"):
        TokenSequencer(max_len=max_len).fit_transform(DOCS)


@pytest.mark.parametrize(
    "truncating, expected_tokens",
    [("post", ["the", "cat", "sat"]), ("pre", ["on", "the", "mat"])],
)
def test_truncating(truncating, expected_tokens):
    sequencer = TokenSequencer(max_len=3, truncating=truncating).fit(DOCS)
    ids = sequencer.transform(["the cat sat on the mat"])
    vocabulary = sequencer.vocabulary_
    np.testing.assert_array_equal(ids, [[vocabulary[token] for token in expected_tokens]])


@pytest.mark.parametrize("document", ["", "   ", "?!..", "\n"])
def test_document_without_tokens_becomes_one_oov(document):
    sequencer = TokenSequencer().fit(DOCS)
    ids = sequencer.transform([document, "cat"])
    np.testing.assert_array_equal(ids[0], [OOV_ID] + [PADDING_ID] * 5)


def test_empty_training_documents_count_as_length_one():
    sequencer = TokenSequencer().fit(["", "cat", ""])
    assert sequencer.max_len_ == 1
    np.testing.assert_array_equal(sequencer.transform(["", "cat"]), [[1], [2]])


def test_fit_transform_matches_fit_then_transform_and_accepts_generators():
    expected = TokenSequencer(max_features=4).fit(DOCS).transform(DOCS)
    from_generator = TokenSequencer(max_features=4).fit_transform(doc for doc in DOCS)
    np.testing.assert_array_equal(from_generator, expected)


def test_accepts_numpy_arrays_of_strings():
    sequencer = TokenSequencer().fit(np.array(DOCS))
    np.testing.assert_array_equal(
        sequencer.transform(np.array(DOCS, dtype=object)), sequencer.transform(DOCS)
    )


def test_transform_of_no_documents():
    sequencer = TokenSequencer().fit(DOCS)
    assert sequencer.transform([]).shape == (0, 6)


def test_inverse_transform_round_trip():
    sequencer = TokenSequencer(max_features=3).fit(DOCS)
    ids = sequencer.transform(["the cat sat on the mat", "", "a dog"])
    assert sequencer.inverse_transform(ids) == [
        ["the", "cat", None, None, "the", None],
        [None],
        ["a", None],
    ]
    assert sequencer.inverse_transform(sequencer.transform([])) == []
    # lists of different lengths, as the estimators take them (NumPy's inhomogeneous-shape
    # error before), checked as arrays are
    rows = [list(row[row > 0]) for row in ids]
    assert sequencer.inverse_transform(rows) == sequencer.inverse_transform(ids)
    assert sequencer.inverse_transform([rows[2], []]) == [["a", None], []]
    size = sequencer.vocabulary_size_
    with pytest.raises(ValueError, match=rf"\[0, {size}\)"):
        sequencer.inverse_transform([rows[2], [size, 2]])
    with pytest.raises(ValueError, match=r"X\[1\] must be a 1-D .* got shape \(1, 1\)"):
        sequencer.inverse_transform([[3], [[2]]])


def test_inverse_transform_rejects_bad_ids():
    sequencer = TokenSequencer().fit(DOCS)
    with pytest.raises(ValueError, match=r"\[0, 11\)"):
        sequencer.inverse_transform([[2, 11]])
    with pytest.raises(ValueError, match="non-negative token ids, got -1"):
        sequencer.inverse_transform([[-1, 2]])
    with pytest.raises(ValueError, match="padding"):
        sequencer.inverse_transform([[2, 0, 3]])
    with pytest.raises(ValueError, match="integer token ids, got 2.5"):
        sequencer.inverse_transform([[2.5, 3.0]])
    with pytest.raises(ValueError, match=r"2-D .* got shape \(2,\)"):
        sequencer.inverse_transform([2, 3])


def test_inverse_transform_reads_the_ids_the_estimators_read():
    # Whole-number floats, pandas' nullable Int64 (read as float64), objects holding ints:
    # an embedding model takes them, so their words can be read back.
    pd = pytest.importorskip("pandas")
    sequencer = TokenSequencer().fit(DOCS)
    ids = sequencer.transform(["the cat sat", "a dog"])
    expected = sequencer.inverse_transform(ids)
    for form in (ids.astype(float), pd.DataFrame(ids).astype("Int64"), ids.astype(object)):
        assert sequencer.inverse_transform(form) == expected
    assert sequencer.inverse_transform([row.astype(float) for row in ids]) == expected


@pytest.mark.parametrize("method", ["fit", "fit_transform"])
def test_single_string_raises(method):
    with pytest.raises(ValueError, match="string object received"):
        getattr(TokenSequencer(), method)("the cat sat")


def test_single_string_raises_in_transform():
    sequencer = TokenSequencer().fit(DOCS)
    with pytest.raises(ValueError, match="string object received"):
        sequencer.transform("the cat sat")
    # A 0-d array is one string too, and a 3-D one was called "2-D".
    with pytest.raises(ValueError, match="string object received"):
        sequencer.transform(np.array("the cat sat"))
    with pytest.raises(ValueError, match=r"got a 3-D ndarray of shape \(1, 1, 1\)"):
        sequencer.transform(np.array([[["the cat sat"]]]))


@pytest.mark.parametrize("form", [list, np.array])
def test_text_given_to_an_embedding_model_is_refused_with_the_way_in(form):
    # It was "X must hold real numbers (integers, floats or booleans), got dtype <U9", and
    # booleans are refused as token ids.
    from pygru import GRUClassifier

    model = GRUClassifier(embedding_dim=4, hidden_layer_sizes=(2,), max_iter=1)
    with pytest.raises(TypeError, match=r"holds text; .*integer token ids.*TokenSequencer"):
        model.fit(form(DOCS), [0, 1, 0, 1])


@pytest.mark.parametrize("bad_document", [None, np.nan, 3, b"bytes", ["the", "cat"]])
def test_non_string_document_raises(bad_document):
    with pytest.raises(TypeError, match="document 1 is a"):
        TokenSequencer().fit(["cat", bad_document])
    sequencer = TokenSequencer().fit(DOCS)
    with pytest.raises(TypeError, match="document 1 is a"):
        sequencer.transform(["cat", bad_document])


@pytest.mark.parametrize("method", ["fit", "transform"])
def test_a_dataframe_is_refused_rather_than_read_as_its_column_names(method):
    # Iterating a DataFrame gives its column names: one document, "text", silently.
    pandas = pytest.importorskip("pandas")
    frame = pandas.DataFrame({"text": DOCS})
    sequencer = TokenSequencer().fit(DOCS)
    with pytest.raises(ValueError, match=r"2-D DataFrame of shape \(4, 1\).*df\['text'\]"):
        getattr(sequencer, method)(frame)
    np.testing.assert_array_equal(sequencer.transform(frame["text"]), sequencer.transform(DOCS))


def test_non_iterable_raises():
    with pytest.raises(TypeError, match="int object received"):
        TokenSequencer().fit(3)


def test_no_documents_or_no_tokens_raise():
    with pytest.raises(ValueError, match="at least one"):
        TokenSequencer().fit([])
    with pytest.raises(ValueError, match="Empty vocabulary"):
        TokenSequencer().fit(["", "!!"])


def test_a_refused_refit_leaves_the_fitted_sequencer_as_it_was():
    # The refit set max_len_ before the checks that refused it: the old vocabulary stayed
    # beside the new length, and the same document came back cut to 1 id (audit38e).
    sequencer = TokenSequencer().fit(["good movie really good", "bad film"])
    before = sequencer.transform(["good movie really good"])
    for documents, params, message in [
        (["!!! ???"], {}, "Empty vocabulary"),
        (["a b c d e f g", "h i"], {"min_df": 2}, "no tokens remain"),
    ]:
        with pytest.raises(ValueError, match=message):
            sequencer.set_params(**params).fit(documents)
        sequencer.set_params(min_df=1)
        assert sequencer.max_len_ == 4
        np.testing.assert_array_equal(sequencer.transform(["good movie really good"]), before)


@pytest.mark.parametrize(
    "params",
    [
        {"max_features": 0},
        {"max_len": 0},
        {"max_len": 2.5},
        {"min_df": 0},
        {"min_df": 1.5},
        {"truncating": "middle"},
        {"lowercase": "yes"},
        {"token_pattern": None},
    ],
)
def test_invalid_parameters_raise(params):
    with pytest.raises(ValueError, match="parameter"):
        TokenSequencer(**params).fit(DOCS)


@pytest.mark.parametrize("name", ["max_features", "max_len", "min_df"])
def test_a_bool_where_a_count_belongs_is_refused_by_name(name):
    # scikit-learn's Interval(Integral) takes True as 1: max_len=True failed in transform
    # with "an integer is required", and max_features=True kept one token.
    with pytest.raises(TypeError, match=f"The '{name}' parameter of TokenSequencer must be an"):
        TokenSequencer(**{name: True}).fit(DOCS)


@pytest.mark.parametrize("pattern", ["(", r"(\w)(\w)"])
def test_bad_token_pattern_raises_value_error(pattern):
    with pytest.raises(ValueError):
        TokenSequencer(token_pattern=pattern).fit(DOCS)


@pytest.mark.parametrize("pattern", ["", r"\s*", r"\w*", r"\b\w*", r"\w+|(?=\s)", r"(\w)?\w+"])
def test_a_token_pattern_that_matches_the_empty_string_is_refused(pattern):
    # Every document became copies of the token "" (as CountVectorizer does; audit35a),
    # or some of its tokens were "" (the next two, review35), or its capture group's
    # match was empty, which is the token CountVectorizer keeps (review36a).
    with pytest.raises(ValueError, match='matches the empty string|gave the empty token ""'):
        TokenSequencer(token_pattern=pattern).fit(DOCS)


@pytest.mark.parametrize("method", ["transform", "inverse_transform"])
def test_not_fitted(method):
    with pytest.raises(NotFittedError):
        getattr(TokenSequencer(), method)(DOCS if method == "transform" else [[2]])


def test_no_feature_names_out():
    assert not hasattr(TokenSequencer(), "get_feature_names_out")


def test_clone_and_pickle():
    sequencer = TokenSequencer(max_features=4, max_len=5, truncating="pre")
    cloned = clone(sequencer)
    assert cloned.get_params() == sequencer.get_params()
    assert not hasattr(cloned, "vocabulary_")

    sequencer.fit(DOCS)
    restored = pickle.loads(pickle.dumps(sequencer))
    assert restored.vocabulary_ == sequencer.vocabulary_
    assert restored.max_len_ == sequencer.max_len_
    np.testing.assert_array_equal(restored.transform(DOCS), sequencer.transform(DOCS))


@pytest.mark.parametrize(
    "check",
    [
        estimator_checks.check_parameters_default_constructible,
        estimator_checks.check_no_attributes_set_in_init,
        estimator_checks.check_get_params_invariance,
        estimator_checks.check_set_params,
        estimator_checks.check_estimator_repr,
        estimator_checks.check_estimator_cloneable,
        estimator_checks.check_estimator_tags_renamed,
        estimator_checks.check_valid_tag_types,
    ],
    ids=lambda check: check.__name__,
)
def test_sklearn_api_checks(check):
    check("TokenSequencer", TokenSequencer())


def test_pipeline_with_a_classifier():
    texts = ["good great fine", "great good", "bad awful", "awful bad poor", "good", "poor"]
    labels = [1, 1, 0, 0, 1, 0]
    pipeline = make_pipeline(TokenSequencer(max_len=3), DecisionTreeClassifier(random_state=0))
    pipeline.fit(texts, labels)
    np.testing.assert_array_equal(pipeline.predict(texts), labels)

    search = GridSearchCV(pipeline, {"tokensequencer__max_features": [2, None]}, cv=2).fit(
        texts * 2, labels * 2
    )
    assert search.best_params_["tokensequencer__max_features"] in (2, None)


@pytest.mark.parametrize("truncating", ["post", "pre"])
def test_vocabulary_counts_only_what_truncated_rows_keep(truncating):
    sequencer = TokenSequencer(max_len=2, truncating=truncating)
    ids = sequencer.fit_transform(["good film zebra", "bad film zebra", "bad film"])
    kept = ("good", "film", "bad") if truncating == "post" else ("film", "zebra", "bad")
    assert set(sequencer.vocabulary_) == set(kept)
    assert ids.max() == sequencer.vocabulary_size_ - 1
    dropped = "zebra" if truncating == "post" else "good"
    assert sequencer.transform([dropped])[0, 0] == OOV_ID


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_embedding_pipeline_predicts_text_whose_tokens_truncation_dropped():
    # "zebra" occurs only past max_len in training: it is out of vocabulary for the
    # sequencer as for the model, whose embedding table has a row for every id it returns.
    from pygru import GRUClassifier

    pipeline = make_pipeline(
        TokenSequencer(max_len=2),
        GRUClassifier(embedding_dim=4, hidden_layer_sizes=(4,), max_iter=2, random_state=0),
    )
    pipeline.fit(["good film", "bad film", "good good zebra", "bad bad"], [1, 0, 1, 0])
    sequencer, classifier = pipeline.named_steps.values()
    assert classifier.vocabulary_size_ == sequencer.vocabulary_size_
    assert pipeline.predict(["zebra film", "good", "unseen words"]).shape == (3,)


documents = st.lists(st.text(alphabet="abc .", max_size=12), min_size=1, max_size=6)


@settings(max_examples=50, deadline=None)
@given(
    train=documents,
    test=documents,
    max_len=st.one_of(st.none(), st.integers(1, 5)),
    truncating=st.sampled_from(["post", "pre"]),
)
def test_transform_invariants(train, test, max_len, truncating):
    sequencer = TokenSequencer(max_len=max_len, truncating=truncating)
    try:
        sequencer.fit(train)
    except ValueError:
        assert not any(sequencer.build_analyzer()(doc) for doc in train)
        return
    # Every vocabulary id occurs in the training output, so a model fitted on it knows
    # every id transform can return.
    training_ids = np.unique(sequencer.transform(train))
    assert set(range(2, sequencer.vocabulary_size_)) <= set(training_ids.tolist())
    ids = sequencer.transform(test)
    assert ids.shape == (len(test), sequencer.max_len_)
    assert np.all((ids >= 0) & (ids < sequencer.vocabulary_size_))
    # every row: one or more non-zero ids, then only padding
    assert np.all(ids[:, 0] != PADDING_ID)
    is_padding = ids == PADDING_ID
    assert np.all(is_padding[:, :-1] <= is_padding[:, 1:])

    analyze = sequencer.build_analyzer()
    for tokens, decoded in zip(map(analyze, test), sequencer.inverse_transform(ids)):
        expected = [token if token in sequencer.vocabulary_ else None for token in tokens]
        expected = expected or [None]
        if truncating == "post":
            expected = expected[: sequencer.max_len_]
        else:
            expected = expected[-sequencer.max_len_ :]
        assert decoded == expected


def test_a_pickle_from_before_strip_accents_transforms_as_it_did():
    sequencer = TokenSequencer().fit(DOCS)
    state = dict(sequencer.__getstate__())
    del state["strip_accents"]
    old = TokenSequencer.__new__(TokenSequencer)
    old.__setstate__(state)
    np.testing.assert_array_equal(old.transform(DOCS), sequencer.transform(DOCS))
    assert old.get_params()["strip_accents"] is None


def test_the_documents_are_not_metadata_to_route():
    # With metadata routing on, raw_documents was a routable fit and transform parameter
    # (set_fit_request(raw_documents=True) accepted silently); CountVectorizer has none.
    import sklearn

    with sklearn.config_context(enable_metadata_routing=True):
        for transformer in (TokenSequencer(), CountVectorizer()):
            assert not hasattr(transformer, "set_fit_request")
            assert not hasattr(transformer, "set_transform_request")
            routing = transformer.get_metadata_routing()
            assert not routing.fit.requests and not routing.transform.requests


def test_vocabulary_size_sizes_the_embedding_for_batches_that_stream_in():
    # The embedding was sized by the first partial_fit call's largest id, with no way to
    # give it: a later batch with ids inside the sequencer's vocabulary was refused.
    from pygru import GRUClassifier, to_onnx

    texts = [f"word{i} common" for i in range(40)]
    labels = np.arange(40) % 2
    sequencer = TokenSequencer().fit(texts)
    ids = sequencer.transform(texts)
    clf = GRUClassifier(
        embedding_dim=3,
        vocabulary_size=sequencer.vocabulary_size_,
        hidden_layer_sizes=(2,),
        random_state=0,
    )
    order = np.argsort(ids.max(axis=1))  # the first batch holds the smallest ids
    for batch in np.array_split(order, 4):
        clf.partial_fit(ids[batch], labels[batch], classes=[0, 1])
    assert clf.vocabulary_size_ == sequencer.vocabulary_size_
    assert clf.network_.views["embedding"].shape == (sequencer.vocabulary_size_, 3)
    buffer = io.BytesIO()
    save(clf, buffer)
    buffer.seek(0)
    restored = load(buffer)
    np.testing.assert_array_equal(restored.predict_proba(ids), clf.predict_proba(ids))
    assert restored.vocabulary_size == sequencer.vocabulary_size_
    pytest.importorskip("onnx")
    assert to_onnx(clf) is not None
    unsized = GRUClassifier(embedding_dim=3, hidden_layer_sizes=(2,), random_state=0)
    unsized.partial_fit(ids[order[:10]], labels[order[:10]], classes=[0, 1])
    with pytest.raises(ValueError, match="larger id .*vocabulary_size gives the size"):
        unsized.partial_fit(ids[order[-10:]], labels[order[-10:]])


def test_vocabulary_size_is_checked():
    from pygru import GRUClassifier, GRURegressor

    ids = np.array([[2, 3, 4], [5, 6, 0]])
    small = GRUClassifier(embedding_dim=2, vocabulary_size=5, hidden_layer_sizes=(2,))
    with pytest.raises(ValueError, match=r"token id 6, but vocabulary_size=5 .*ids 0\.\.4 only"):
        small.fit(ids, [0, 1])
    without_embedding = GRURegressor(vocabulary_size=10, hidden_layer_sizes=(2,))
    with pytest.raises(ValueError, match="vocabulary_size=10 sizes an embedding table"):
        without_embedding.fit(np.ones((2, 3, 1)), [0.0, 1.0])
    # Rows past the largest id token ids may have could never be read: a table of 2**25
    # rows trained for 11 s (audit40e).
    too_many = GRUClassifier(embedding_dim=1, vocabulary_size=2**24 + 1, hidden_layer_sizes=(2,))
    with pytest.raises(ValueError, match=r"vocabulary_size=16777217 sizes an embedding .*past"):
        too_many.fit(ids, [0, 1])
    fitted = GRUClassifier(embedding_dim=2, vocabulary_size=8, hidden_layer_sizes=(2,), max_iter=1)
    fitted.fit(ids, [0, 1]).set_params(vocabulary_size=9, warm_start=True)
    with pytest.raises(ValueError, match="vocabulary_size=9 but the network's embedding has 8"):
        fitted.fit(ids, [0, 1])


def test_tags_built_on_the_public_analyzer_line_up_with_the_ids():
    # Tagging had no public way to split a document as the sequencer does (its analyzer
    # was private), and a label count that did not match named no cause.
    from pygru import GRUClassifier

    documents = ["Bob met Carol, at 10.", "the cat sat", "Ann saw 3 dogs!", "a dog ran"] * 10
    sequencer = TokenSequencer(lowercase=False).fit(documents)
    analyze = sequencer.build_analyzer()
    assert analyze("Bob met Carol, at 10.") == CountVectorizer(
        lowercase=False, token_pattern=sequencer.token_pattern
    ).build_analyzer()("Bob met Carol, at 10.")

    def tags(document):
        return [
            "CAP" if t[0].isupper() else "NUM" if t.isdigit() else "O" for t in analyze(document)
        ]

    ids = sequencer.transform(documents)
    labels = [tags(document) for document in documents]
    assert [len(row) for row in labels] == (ids != PADDING_ID).sum(axis=1).tolist()
    tagger = GRUClassifier(
        embedding_dim=4, output="sequence", hidden_layer_sizes=(8,), max_iter=30, random_state=0
    )
    assert tagger.fit(ids, labels).score(ids, labels) > 0.9
    longer = sequencer.transform(["Bob met Carol and Ann at 10 and 11"])  # cut to max_len_
    with pytest.raises(ValueError, match="TokenSequencer, a document longer than its max_len_"):
        tagger.score(longer, [tags("Bob met Carol and Ann at 10 and 11")])


def test_a_validation_set_with_an_unknown_token_id_is_named_as_such():
    # The message blamed X (audit34c): the ids are X_val's.
    from pygru import GRUClassifier

    X = np.array([[1, 2, 3], [2, 3, 1], [3, 1, 2], [1, 1, 2]] * 4)
    y = [0, 1] * 8
    for vocabulary_size in (None, 4):
        model = GRUClassifier(
            embedding_dim=4, vocabulary_size=vocabulary_size, max_iter=2, early_stopping=True
        )
        with pytest.raises(ValueError, match=r"X_val contains token id 9"):
            model.fit(X, y, X_val=np.array([[9, 1, 2], [1, 2, 3]]), y_val=[0, 1])
