from . import test_security
from . import test_segment
from . import test_settings
from . import test_timeline
from . import test_rfm
from . import test_profile
from . import test_clv
