#include "foundry/record.h"
