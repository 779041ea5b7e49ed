// libFuzzer target: the mail lesson's line parsers (examples/mail/protocol.hpp
// and lines.hpp): SMTP/POP3 commands, MAIL FROM / RCPT TO paths, numbers, reply
// lines, dot-stuffing (a round trip) and the log's printable form.
#include "lines.hpp"
#include "protocol.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string copy(reinterpret_cast<const char*>(data), size);
    const std::string_view line = mail::without_ending(copy);
    if (line.size() > copy.size()) std::abort();
    (void)mail::ends_with_crlf(copy);
    const mail::command c = mail::split_command(line);
    (void)mail::parse_path(c.argument, "FROM:");
    (void)mail::parse_path(c.argument, "TO:");
    (void)mail::parse_number(line);
    (void)mail::valid_mailbox_name(line);
    (void)mail::parse_reply_line(line);
    const std::string shown = mail::printable(copy);
    for (char ch : shown) {
        if (static_cast<unsigned char>(ch) < 32) std::abort();  // no control byte reaches the log
    }
    if (mail::dot_unstuff(mail::dot_stuff(line)) != line) std::abort();
    return 0;
}
