#pragma once
// A write that is tried at once, before any asynchronous machinery: most
// writes of a proxy (a response, an event of a stream, a request upstream)
// fit in the socket's send buffer, and a plain sendmsg then saves the
// composed operation, its timer and a trip through the scheduler. What does
// not fit is left in `buffers` for an asynchronous write (with its timeout).

#include <sys/socket.h>
#include <sys/uio.h>

#include <array>
#include <cerrno>
#include <cstddef>

#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

namespace switchboard::upstream {

// Sends what the socket takes now; consumes it from `buffers` and returns
// true when nothing is left. A failure other than "would block" sets `ec`.
template <size_t N>
bool WriteNow(boost::asio::ip::tcp::socket& socket, std::array<boost::asio::const_buffer, N>& buffers,
              boost::system::error_code& ec) {
  std::array<iovec, N> iov;
  size_t count = 0;
  for (const auto& buffer : buffers) {
    if (buffer.size() == 0) continue;
    iov[count].iov_base = const_cast<void*>(buffer.data());
    iov[count].iov_len = buffer.size();
    ++count;
  }
  if (count == 0) return true;
  msghdr message{};
  message.msg_iov = iov.data();
  message.msg_iovlen = count;
  ssize_t sent;
  do {
    sent = ::sendmsg(socket.native_handle(), &message, MSG_DONTWAIT | MSG_NOSIGNAL);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK) ec.assign(errno, boost::system::system_category());
    return false;
  }
  size_t left = static_cast<size_t>(sent);
  bool done = true;
  for (auto& buffer : buffers) {
    size_t take = left < buffer.size() ? left : buffer.size();
    buffer += take;
    left -= take;
    if (buffer.size() > 0) done = false;
  }
  return done;
}

}  // namespace switchboard::upstream
