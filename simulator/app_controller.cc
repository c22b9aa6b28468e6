#include "simulator/app_controller.h"
