from . import test_skill
from . import test_relational_profile
