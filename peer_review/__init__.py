"""Peer review of the homework: `peer-review assign` and `peer-review collect`.

Pipeline (one small module per step):
  submissions.py  find who handed in what (autograder.discover: the grader's layouts)
  notebooks.py    read hand-ins with the autograder's reader; write anonymised copies
  answers.py      inline-question answers and reference answers, found by content; blank answers
  anonymise.py    salted codes; names stripped from notebooks; redacted autograder statuses
  allocation.py   who reviews whom (seeded, no self, fewest reciprocal pairs), re-assignment
  autograded.py   the autograder's grades.csv
  sheet.py        render the reviewer sheets: sheet.html (a form in the browser) and sheet.md
  student_text.py, tex.py   student answers as safe HTML, TeX math as Unicode text
  returned.py     DIR/returned/: encodings, Word/PDF returns, newest copy of each sheet
  sheet_json.py, sheet_md.py   read the HTML sheet's saved JSON and the Markdown sheet
  rule.py         the course's rule on one reviewer's sheet (the page mirrors it in JavaScript)
  combine.py      the reviews of one submission -> its grade (median of sheet totals, overrides)
  feedback.py     each student's reconciled feedback file
  assign.py / collect.py / late.py   the commands; cli.py parses the command line
  store.py        the review folder and its formula-safe CSVs
  rubric_md.py    grading_rubric.md, generated from course/rubric.toml
"""
