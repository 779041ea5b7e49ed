// Links the three include-order translation units into one program (this also
// catches a non-inline function in the header: it would be defined three times).
// Built with MinGW by .ci/windows.sh and run under Wine; prints OK.
#include <iostream>

int port_windows_first();
int port_nominmax_first();
int port_csnet_first();

int main() {
    try {
        const int ports[] = {port_windows_first(), port_nominmax_first(), port_csnet_first()};
        for (int port : ports) {
            if (port <= 0) {
                std::cerr << "windows_h: bound port " << port << ", expected > 0\n";
                return 1;
            }
        }
        std::cout << "OK\n";
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "windows_h: " << e.what() << '\n';
        return 1;
    }
}
