// The doctest runner: every test_*.cpp file registers its test cases with it.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
