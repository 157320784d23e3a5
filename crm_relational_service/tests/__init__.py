from . import test_skill
