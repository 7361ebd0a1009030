"""nbgrader configuration: solutions/ is the source, assignments/ the release.

`make release` (python -m course.release) runs `nbgrader generate_assignment`
with this file. The gradebook database is kept out of the repository.
"""

import os

from nbgrader.converters.generate_assignment import GenerateAssignment

from course.nbgrader_stubs import StubSolutions

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

here = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.root = here
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "assignments"
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(here, "build", "nbgrader", "gradebook.db")
# The release does not need nbgrader's gradebook (this kit grades with its own
# autograder), so no database is written: no_database for the assignment
# entry, and SaveCells (which records cells in the database) is left out.
c.GenerateAssignment.no_database = True
# Our stub writer takes the place of nbgrader's ClearSolutions; the other
# preprocessors are nbgrader's own, in nbgrader's order.
c.GenerateAssignment.preprocessors = [
    StubSolutions if p.__name__ == "ClearSolutions" else p
    for p in GenerateAssignment.class_traits()["preprocessors"].default()
    if p.__name__ != "SaveCells"
]
