#include "kube_sim/api_server.h"
