#include "simulator/app_controller.h"

#include <gtest/gtest.h>
