#include "engine/noise.h"

#include <gtest/gtest.h>
