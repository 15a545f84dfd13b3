// zlib (Debian: zlib1g-dev): inflate, for exports saved as gzip (`.csv.gz`).
#include <zlib.h>
