// Include cost: csnet.hpp alone.
#include <csnet.hpp>

int main() { return 0; }
