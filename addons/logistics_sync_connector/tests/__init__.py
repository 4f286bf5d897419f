from . import test_webhook
from . import test_outbound
from . import test_security
from . import test_easypost
from . import test_lib
from . import test_ui
