#include "kube_sim/api_server.h"

#include <gtest/gtest.h>
