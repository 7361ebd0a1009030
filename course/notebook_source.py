"""The notebook a check runs in, as JSON, so the self-check can read the inline answers.

A kernel does not see its own notebook. Where it can be found:
  Colab                  the front end sends the open notebook on request
                         (google.colab._message.blocking_request("get_ipynb")),
                         including what was typed but not saved
  Jupyter / VS Code      the file the kernel was started for (its path is in
                         the kernel's namespace or environment), else the saved
                         notebook in the working directory that has this part's
                         answer cells; the file is only as recent as its last save
"""

import json
import os
import time

from course.markers import ANSWER_HEADER, ANSWER_STUB

COLAB_TIMEOUT_SECONDS = 20


def current_notebook(namespace, question_ids):
    """(notebook dict, where it was read) or (None, why it could not be read).

    question_ids: the inline questions of this part; a saved notebook is only
    taken when it has an answer cell for one of them (the right part)."""
    notebook, why_not_colab = _from_colab()
    if notebook is not None:
        return notebook, "the notebook open in Colab"
    reasons = [why_not_colab] if why_not_colab else []
    for path in _candidate_files(namespace):
        notebook, problem = _read(path)
        if notebook is not None and _answer_ids(notebook) & set(question_ids):
            saved = time.strftime("%H:%M:%S", time.localtime(os.path.getmtime(path)))
            return notebook, (
                f"{os.path.basename(path)} as saved at {saved}: save the notebook first "
                f"(Ctrl+S), answers typed since the last save are not seen"
            )
        if problem:
            reasons.append(problem)
    reasons.append(f"no saved notebook with this part's answer cells in {os.getcwd()}")
    return None, "; ".join(reasons)


def answer_cells(notebook):
    """{question id: answer text} from the markdown cells that start with the answer header;
    "" for a question whose cells hold only the placeholder (or nothing). A question
    answered in two cells (a duplicated cell) keeps both texts."""
    answers = {}
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") != "markdown":
            continue
        source = cell.get("source", "")
        text = ("".join(source) if isinstance(source, list) else str(source)).strip("\n")
        match = ANSWER_HEADER.match(text.partition("\n")[0])
        if match:
            answer = text.partition("\n")[2].strip()
            answer = "" if answer == ANSWER_STUB else answer
            answers[match.group(1)] = "\n\n".join(t for t in (answers.get(match.group(1), ""), answer) if t)
    return answers


def _answer_ids(notebook):
    return set(answer_cells(notebook))


def _from_colab():
    """(notebook, None) in Colab; (None, None) elsewhere; (None, why) when Colab did not answer."""
    try:
        from google.colab import _message  # only importable inside Colab
    except ImportError:
        return None, None
    try:
        reply = _message.blocking_request("get_ipynb", request="", timeout_sec=COLAB_TIMEOUT_SECONDS)
    except Exception as exc:  # the front end may be gone (a closed tab) or slow
        return None, f"Colab did not send the notebook ({type(exc).__name__}: {exc})"
    if not isinstance(reply, dict) or not isinstance(reply.get("ipynb"), dict):
        return None, f"Colab did not send the notebook (no reply within {COLAB_TIMEOUT_SECONDS} s)"
    return reply["ipynb"], None


def _candidate_files(namespace):
    """The kernel's own notebook file when known, then the newest notebooks in the working directory."""
    named = [namespace.get("__session__"), os.environ.get("JPY_SESSION_NAME"), namespace.get("__vsc_ipynb_file__")]
    found = [p for p in named if isinstance(p, str) and p.endswith(".ipynb") and os.path.isfile(p)]
    try:
        here = [e.path for e in os.scandir(".") if e.is_file() and e.name.endswith(".ipynb")]
    except OSError:
        here = []
    here.sort(key=os.path.getmtime, reverse=True)
    return list(dict.fromkeys(found + here))


def _read(path):
    try:
        with open(path, encoding="utf-8") as f:
            notebook = json.load(f)
    except (OSError, ValueError) as exc:
        return None, f"could not read {os.path.basename(path)} ({type(exc).__name__})"
    return (notebook, None) if isinstance(notebook, dict) else (None, f"{os.path.basename(path)} is not a notebook")
