#include "engine/noise.h"
