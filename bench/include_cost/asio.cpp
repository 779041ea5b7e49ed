// Include cost: standalone asio (compile with -DASIO_STANDALONE).
#include <asio.hpp>

int main() { return 0; }
