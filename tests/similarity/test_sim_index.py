"""Index and scores: starter code and class-wide idioms are never evidence."""
from autograder.similarity.fingerprint import kgram_fingerprints
from autograder.similarity.index import (Starter, build_index, candidate_pairs, code_fingerprints,
                                         submission_fingerprints)
from autograder.similarity.submissions import Submission
from autograder.similarity.tokens import tokens
from course.markers import ANSWER_STUB

STARTER = Starter.from_release(
    ["def f(X, W):\n    num_train = X.shape[0]\n    ### START CODE HERE ###\n"
     "    raise NotImplementedError('write f')\n    ### END CODE HERE ###\n"],
    [ANSWER_STUB])


def unique_code(i: int, lines: int = 6) -> str:
    """Code no other student writes: attribute names survive normalisation."""
    return "\n".join(f"r{j} = q.method_{i}_{j}(p, axis={j}) + q.other_{i}_{j}" for j in range(lines))


def index_of(codes: dict[str, str], starter=Starter()):
    subs = [Submission(sid, code={"f": code}) for sid, code in codes.items()]
    return build_index([s.student_id for s in subs], [submission_fingerprints(s, starter) for s in subs])


def test_release_lines_never_count():
    assert len(code_fingerprints("n = X.shape[0]\nraise NotImplementedError('x')", STARTER)) == 0
    mixed = code_fingerprints("n = X.shape[0]\n" + unique_code(1), STARTER)
    assert mixed.elements and not (mixed.elements.keys() & STARTER.kgrams)


def test_release_answer_placeholder_never_counts():
    subs = [Submission(s, answers={"1.1": ANSWER_STUB}) for s in "ab"]
    index = build_index(["a", "b"], [submission_fingerprints(s, STARTER) for s in subs])
    assert len(candidate_pairs(index).a) == 0


def test_students_sharing_nothing_form_no_pair():
    pairs = candidate_pairs(index_of({f"s{i}": unique_code(i) for i in range(30)}))
    assert len(pairs.a) == 0


def test_idiom_of_the_whole_class_is_discounted_but_a_copy_is_not():
    idiom = "probs = exps / np.sum(exps, axis=1, keepdims=True)\n"
    codes = {f"s{i:02d}": idiom + unique_code(i) for i in range(40)}
    codes["s00"] = codes["s01"].replace("probs", "p")  # s00 copies s01 (renamed)
    index = index_of(codes)
    pairs = candidate_pairs(index)
    assert index.common["f"]  # the idiom was recognised...
    assert len(pairs.a) == 1  # ...so only the copy pair is a candidate, not 780 pairs
    assert {index.students[pairs.a[0]], index.students[pairs.b[0]]} == {"s00", "s01"}
    # everything but the idiom is shared; the idiom stays in the denominator (not evidence, still written)
    assert 0.7 < pairs.score(["f"])[0] < 1.0


def test_idiom_still_counts_in_the_denominator():
    # two students sharing only the class idiom plus one rare line must not reach 1.0
    idiom = "probs = exps / np.sum(exps, axis=1, keepdims=True)\n"
    rare = "z = q.rare_call(p, axis=3) + q.rare_attr\n"
    codes = {f"s{i:02d}": idiom + unique_code(i) for i in range(40)}
    codes["s02"] += "\n" + rare
    codes["s03"] += "\n" + rare
    pairs = candidate_pairs(index_of(codes))
    assert len(pairs.a) == 1 and pairs.score(["f"])[0] < 0.3


def test_statement_multiset_makes_reordering_cost_less():
    block = ["m = X.shape[0]", "c = W.shape[1]", "s = X.dot(W)", "p = np.exp(s)",
             "t = p.sum(axis=1)", "q = p / t[:, None]", "g = q.copy()", "h = X.T.dot(g)"]
    shuffled = [block[i] for i in (5, 0, 7, 2, 6, 1, 4, 3)]

    def overlap(fa, fb):
        return len(fa.elements.keys() & fb.elements.keys()) / min(len(fa), len(fb))
    kgrams_only = overlap(kgram_fingerprints(tokens("\n".join(block))), kgram_fingerprints(tokens("\n".join(shuffled))))
    combined = overlap(code_fingerprints("\n".join(block), Starter()), code_fingerprints("\n".join(shuffled), Starter()))
    assert combined > kgrams_only and combined >= 0.8
