// The page that websocket_chat serves at GET /: HTML and a little JavaScript that
// opens a WebSocket back to the same server (ws://HOST:PORT/chat) with the
// browser's own WebSocket object. It is a C++ raw string, so the program needs no
// file next to it; edit it here and rebuild.
//
// In the browser: F12 (developer tools) -> Network -> the "chat" row (type
// websocket) -> Messages shows every frame, both ways.
#ifndef CSNET_EXAMPLES_WEBSOCKET_CHAT_PAGE_HPP
#define CSNET_EXAMPLES_WEBSOCKET_CHAT_PAGE_HPP

#include <string_view>  // std::string_view

namespace websocket {

inline constexpr std::string_view chat_page = R"html(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>csnet chat</title>
<style>
  body { font-family: sans-serif; max-width: 40em; margin: 2em auto; }
  #log { border: 1px solid #888; height: 20em; overflow-y: auto; padding: 0.5em 2em; }
  #text { width: 60%; }
</style>
</head>
<body>
<h1>csnet chat</h1>
<p>Status: <span id="status">connecting...</span></p>
<ul id="log"></ul>
<form id="form">
  <input id="nick" value="browser" size="10" aria-label="your name">
  <input id="text" autocomplete="off" placeholder="a message" aria-label="message">
  <button id="send">Send</button>
</form>
<script>
  const statusText = document.getElementById("status");
  const log = document.getElementById("log");

  // Shows one line in the list (textContent: a message is text, never HTML).
  function show(line) {
    const item = document.createElement("li");
    item.textContent = line;
    log.appendChild(item);
    log.scrollTop = log.scrollHeight;
  }

  // The handshake: the browser sends "GET /chat HTTP/1.1 ... Upgrade: websocket"
  // to the server that served this page, and waits for "101 Switching Protocols".
  const socket = new WebSocket("ws://" + location.host + "/chat");

  socket.onopen = () => { statusText.textContent = "connected"; };
  socket.onmessage = (event) => { show(event.data); };  // one text frame (or message)
  socket.onclose = (event) => {
    statusText.textContent = "closed (code " + event.code + ")";
  };

  document.getElementById("form").onsubmit = (event) => {
    event.preventDefault();  // stay on this page
    const text = document.getElementById("text");
    if (text.value !== "" && socket.readyState === WebSocket.OPEN) {
      socket.send(document.getElementById("nick").value + ": " + text.value);
      text.value = "";
    }
  };
</script>
</body>
</html>
)html";

}  // namespace websocket

#endif  // CSNET_EXAMPLES_WEBSOCKET_CHAT_PAGE_HPP
