"""The platforms courses already run, each in its own small module.

handins.py       OUT/handins.csv: who handed in what, from where, when (discovery's record)
late_policy.py   course.toml [late]: how late a hand-in is, and what that costs
roster.py        the class list (course.toml [roster]) that joins ids, LMS ids, names
lms_export.py    the final gradebook in Canvas's, Moodle's and Blackboard's import formats
gradescope.py    `autograde gradescope-bundle` and the bundle's run_autograder
nbgrader_db.py   per-item scores into nbgrader's gradebook (nbgrader's own API)
regrade.py       `autograde --only ID...`: a few rows of an existing OUT replaced
publish.py       `make publish DEST`: the public student repository, nothing hidden
"""
