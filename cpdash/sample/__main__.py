"""`python -m cpdash.sample`: write the synthetic sample city."""

import sys

from cpdash.sample import main

sys.exit(main())
