from hypothesis import given
from hypothesis import strategies as st

from firegov.kernels.bigrams import PROBE_LIMIT, decides, keys, probe

# Names and addresses: Chinese characters, Latin letters of both cases, digits, spaces, symbols.
TEXT = st.text(alphabet=st.sampled_from(list("超市人民路幼儿园号楼店aAbBßçÇ0129 -（）·")), max_size=30)


def test_keys_are_the_overlapping_pairs_upper_cased():
    assert keys(["华联超市"]) == {"华联", "联超", "超市"}
    assert keys(["ktv 店"]) == {"KT", "TV", "V ", " 店"}
    assert keys(["超", ""]) == set()


def test_texts_are_cut_on_their_own():
    assert keys(["超市", "人民路"]) == {"超市", "人民", "民路"}  # no "市人"


def test_probe_covers_the_term_with_few_pairs():
    assert probe("超") == []
    assert probe("") == []
    assert probe("超市") == ["超市"]
    assert probe("幼儿园") == ["幼儿", "儿园"]
    assert probe("人民路12号") == ["人民", "路1", "2号"]
    assert probe("aa") == ["AA"]
    long = probe("枣庄市市中区光明路街道华联超市")
    assert len(long) == PROBE_LIMIT
    assert long[0] == "枣庄" and long[-1] == "超市"


@given(TEXT, st.integers(0, 30), st.integers(0, 30), TEXT)
def test_a_term_found_in_a_text_has_all_its_probe_keys_in_the_text(text, start, length, other):
    """The index may only narrow the search, never lose a match (case-insensitive containment)."""
    term = text[start:start + length]
    if start % 2:  # also terms that differ from the text only in case
        term = term.swapcase() if term.swapcase().upper() == term.upper() else term
    assert set(probe(term)) <= keys([other, text])


@given(TEXT, st.integers(1, 8))
def test_probe_is_a_subset_of_the_terms_own_keys(term, limit):
    chosen = probe(term, limit)
    assert set(chosen) <= keys([term])
    assert len(chosen) == len(set(chosen)) <= max(limit, 0)


def test_only_two_ideographs_are_decided_by_their_key():
    assert decides("超市") and decides("𠀋𠀌") and decides("車輪")
    assert not decides("超") and not decides("幼儿园") and not decides("KT") and not decides("超a")
    assert not decides("·超") and not decides("（超")


# Texts with characters whose upper case is longer (ß → SS, ŉ → ʼN, ΐ → Ϊ́): the reason the
# keys cannot decide other terms.
ODD_TEXT = st.text(alphabet=st.sampled_from(list("超市人民路幼儿园号楼店𠀋aAßŉΐ0 ·")), max_size=30)


def database_upper(text: str) -> str:
    """UPPER as the databases apply it: one character at a time, a character whose upper case is
    longer (ß) left as it is."""
    return "".join(u if len(u := c.upper()) == 1 else c for c in text)


@given(ODD_TEXT, ODD_TEXT, st.integers(0, 30), st.booleans())
def test_a_decided_term_is_in_a_text_exactly_when_it_is_one_of_its_keys(text, other, start, folded):
    """What the keys say of a decided term is what the database's infix match says (terms taken from
    the texts as written and as folded, so that a key made by folding, SS from ß, is tried)."""
    source = text.upper() if folded else text
    term = source[start:start + 2] if start % 3 else "超市"
    if decides(term):
        matched = any(database_upper(term) in database_upper(t) for t in (text, other))
        assert matched == (term in keys([text, other]))
