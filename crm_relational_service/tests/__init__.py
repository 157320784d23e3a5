from . import test_skill
from . import test_relational_profile
from . import test_service_level
from . import test_routing
from . import test_back_office
from . import test_knowledge
from . import test_portal
from . import test_tours
