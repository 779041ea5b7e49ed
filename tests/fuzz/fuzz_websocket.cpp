// libFuzzer target: the WebSocket lesson's frame code (examples/websocket/frame.hpp):
// header parsing and judging, close payloads, the UTF-8 check, and encode ->
// parse round trips with and without a mask.
#include "frame.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string copy(reinterpret_cast<const char*>(data), size);
    const std::string_view bytes(copy);
    const websocket::frame_header h = websocket::parse_header(bytes);
    if (h.header_size > bytes.size()) std::abort();
    if (h.header_size != 0) (void)websocket::header_problem(h);
    (void)websocket::is_utf8(bytes);
    (void)websocket::close_code_of(bytes);
    (void)websocket::close_problem(bytes);
    if (size == 0) return 0;
    // Round trip: encode the input as a payload, then read the header back.
    const std::uint8_t opcode = static_cast<std::uint8_t>(data[0] & 0x0F);
    const std::array<std::uint8_t, 4> mask{data[0], static_cast<std::uint8_t>(size), 7, 0x5A};
    const bool masked = (data[0] & 0x10) != 0;
    const std::string frame = websocket::encode_frame(opcode, bytes, (data[0] & 0x20) != 0, masked ? &mask : nullptr);
    const websocket::frame_header back = websocket::parse_header(frame);
    if (back.header_size == 0 || back.length != size || back.opcode != opcode || back.masked != masked) std::abort();
    std::string payload = frame.substr(back.header_size);
    if (masked) websocket::apply_mask(payload, back.mask);
    if (payload != copy) std::abort();
    return 0;
}
