// VMMallocSystem is its header; a C target needs one source file.
#include "vmmalloc_system.h"
