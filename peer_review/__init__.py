"""Peer review of the homework: `peer-review assign` and `peer-review collect`.

Pipeline (one small module per step):
  submissions.py  find who handed in what (both SUBMISSIONS layouts)
  answers.py      inline-question answers and reference answers, found by content
  anonymise.py    salted codes; names stripped from notebook metadata and outputs
  allocation.py   who reviews whom (seeded, no self, no reciprocal pairs), re-assignment
  autograded.py   the autograder's grades.csv
  sheet.py        render the reviewer sheets (Markdown + HTML) and parse them back
  combine.py      median of the reviews, forgiveness, totals, disagreement
  assign.py / collect.py / late.py   the commands; cli.py parses the command line
  rubric_md.py    grading_rubric.md, generated from course/rubric.toml
"""
