// hop_relay: one more hop and nothing else, the benchmark's physical limit.
//
//   hop_relay --upstream HOST:PORT [--port P]
//
// Listens on 127.0.0.1:P (0: an ephemeral port) and, once listening, writes
// {"msg":"ready","api":"127.0.0.1:PORT"} on stderr (as mock_upstream does).
// For each accepted connection it opens one connection to the upstream and
// copies bytes both ways until either side closes. No HTTP: it neither parses
// nor rewrites anything, so what it costs is the least any proxy costs per
// request (a receive and a send each way, and the wake-ups), which is what the
// performance issue calls "the cost of one more HTTP hop". run.sh puts one in
// front of each mock and prints its figures in the "hop" column.
//
// One thread, level-triggered epoll, non-blocking sockets. One receive per
// readiness (up to 64 KiB), sent on at once; what the peer does not take is
// queued and reading from that side pauses until the queue drains, so a slow
// reader holds its sender back instead of growing memory. A side that ends
// (EOF or error) ends the pair; its EOF is only read once what came before it
// has been passed on.
//
// Limits, honestly: IPv4 loopback only, a blocking connect() to the upstream
// when a client arrives (immediate on loopback), no timeouts. A load tool for
// tests/bench/run.sh, nothing more.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr size_t kReadBytes = 64 * 1024;
constexpr int kMaxEvents = 256;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "hop_relay: %s\n", what.c_str());
  std::exit(2);
}

[[noreturn]] void DieErrno(const std::string& what) { Die(what + ": " + std::strerror(errno)); }

bool ParsePort(std::string_view text, uint16_t& port) {
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value > 65535) return false;
  port = static_cast<uint16_t>(value);
  return true;
}

sockaddr_in Loopback(uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

struct Pair;

// One socket of a pair; `queued` holds bytes received on the other side that
// this socket has not taken yet.
struct Side {
  int fd = -1;
  Side* peer = nullptr;
  Pair* pair = nullptr;
  std::string queued;
  uint32_t watched = 0;  // the epoll events registered for fd
};

struct Pair {
  Side client;
  Side upstream;
};

class Relay {
 public:
  Relay(int listener, sockaddr_in upstream) : listener_(listener), upstream_(upstream) {
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_ < 0) DieErrno("epoll_create1");
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.ptr = nullptr;  // the listener
    if (epoll_ctl(epoll_, EPOLL_CTL_ADD, listener_, &event) != 0) DieErrno("epoll_ctl(listener)");
  }

  [[noreturn]] void Run() {
    epoll_event events[kMaxEvents];
    for (;;) {
      const int n = epoll_wait(epoll_, events, kMaxEvents, -1);
      if (n < 0) {
        if (errno == EINTR) continue;
        DieErrno("epoll_wait");
      }
      for (int i = 0; i < n; ++i) {
        auto* side = static_cast<Side*>(events[i].data.ptr);
        if (side == nullptr) {
          Accept();
          continue;
        }
        // A pair closed earlier in this batch has its fds out of epoll, but an
        // event fetched before that can still name it: closed pairs are freed
        // only after the batch (see Close).
        if (side->fd < 0) continue;
        if (events[i].events & EPOLLOUT) Flush(*side);
        if (side->fd >= 0 && (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) Receive(*side, events[i].events);
      }
      for (Pair* pair : closed_) delete pair;
      closed_.clear();
    }
  }

 private:
  void Accept() {
    const int client = accept4(listener_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (client < 0) return;  // EAGAIN, or a client that left: nothing to relay
    const int upstream = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (upstream < 0 || connect(upstream, reinterpret_cast<const sockaddr*>(&upstream_), sizeof upstream_) != 0) {
      std::fprintf(stderr, "hop_relay: connect to upstream: %s\n", std::strerror(errno));
      if (upstream >= 0) close(upstream);
      close(client);
      return;
    }
    const int one = 1;
    setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(upstream, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (fcntl(upstream, F_SETFL, O_NONBLOCK) != 0) {
      close(upstream);
      close(client);
      return;
    }
    auto* pair = new Pair;
    pair->client = Side{client, &pair->upstream, pair, {}, 0};
    pair->upstream = Side{upstream, &pair->client, pair, {}, 0};
    Watch(pair->client, EPOLL_CTL_ADD, EPOLLIN);
    Watch(pair->upstream, EPOLL_CTL_ADD, EPOLLIN);
  }

  void Watch(Side& side, int op, uint32_t events) {
    epoll_event event{};
    event.events = events;
    event.data.ptr = &side;
    if (epoll_ctl(epoll_, op, side.fd, &event) != 0) DieErrno("epoll_ctl");
    side.watched = events;
  }

  // What `side` waits for: reading while its peer has nothing queued (bytes
  // stay in order, a slow reader holds its sender back, and an EOF is only
  // read once everything before it has been passed on); writing while it has
  // something queued.
  void Update(Side& side) {
    const uint32_t want = (side.peer->queued.empty() ? EPOLLIN : 0u) |
                          (side.queued.empty() ? 0u : EPOLLOUT);
    if (want != side.watched) Watch(side, EPOLL_CTL_MOD, want);
  }

  // Reads once from `from` and passes it on; what its peer does not take now
  // is queued on the peer.
  void Receive(Side& from, uint32_t events) {
    Side& to = *from.peer;
    if (!to.queued.empty()) {
      // Fetched before `from` was paused in this batch; a hang-up or error
      // ends the pair (the connection is gone), anything else waits.
      if (events & (EPOLLHUP | EPOLLERR)) Close(*from.pair);
      return;
    }
    const ssize_t got = recv(from.fd, buffer_, sizeof buffer_, 0);
    if (got < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (got <= 0) {
      Close(*from.pair);  // nothing is queued for `to`: nothing is lost
      return;
    }
    const ssize_t sent = send(to.fd, buffer_, static_cast<size_t>(got), MSG_NOSIGNAL);
    if (sent == got) return;
    if (sent < 0 && errno != EAGAIN) {
      Close(*from.pair);
      return;
    }
    const size_t taken = sent < 0 ? 0 : static_cast<size_t>(sent);
    to.queued.assign(buffer_ + taken, static_cast<size_t>(got) - taken);
    Update(from);
    Update(to);
  }

  // `to` can take more: sends its queue; once it is empty, its peer is read
  // again.
  void Flush(Side& to) {
    if (to.queued.empty()) return;
    const ssize_t sent = send(to.fd, to.queued.data(), to.queued.size(), MSG_NOSIGNAL);
    if (sent < 0) {
      if (errno != EAGAIN && errno != EINTR) Close(*to.pair);
      return;
    }
    to.queued.erase(0, static_cast<size_t>(sent));
    if (!to.queued.empty()) return;
    Update(to);
    Update(*to.peer);
  }

  void Close(Pair& pair) {
    for (Side* side : {&pair.client, &pair.upstream}) {
      if (side->fd < 0) continue;
      close(side->fd);  // also removes it from the epoll set
      side->fd = -1;
    }
    closed_.push_back(&pair);
  }

  int listener_;
  sockaddr_in upstream_;
  int epoll_ = -1;
  char buffer_[kReadBytes];
  std::vector<Pair*> closed_;
};

}  // namespace

int main(int argc, char** argv) {
  uint16_t port = 0;
  uint16_t upstream_port = 0;
  bool have_upstream = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (i + 1 >= argc) Die("usage: hop_relay --upstream 127.0.0.1:PORT [--port P]");
    const std::string_view value = argv[++i];
    if (arg == "--port") {
      if (!ParsePort(value, port)) Die("--port takes 0..65535, got '" + std::string(value) + "'");
    } else if (arg == "--upstream") {
      constexpr std::string_view kHost = "127.0.0.1:";
      if (value.substr(0, kHost.size()) != kHost || !ParsePort(value.substr(kHost.size()), upstream_port) ||
          upstream_port == 0) {
        Die("--upstream takes 127.0.0.1:PORT (loopback only), got '" + std::string(value) + "'");
      }
      have_upstream = true;
    } else {
      Die("unknown option '" + std::string(arg) + "'; usage: hop_relay --upstream 127.0.0.1:PORT [--port P]");
    }
  }
  if (!have_upstream) Die("usage: hop_relay --upstream 127.0.0.1:PORT [--port P]");

  const int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listener < 0) DieErrno("socket");
  const int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address = Loopback(port);
  if (bind(listener, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    DieErrno("bind 127.0.0.1:" + std::to_string(port));
  }
  if (listen(listener, SOMAXCONN) != 0) DieErrno("listen");
  socklen_t length = sizeof address;
  if (getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) != 0) DieErrno("getsockname");
  std::fprintf(stderr, "{\"msg\":\"ready\",\"api\":\"127.0.0.1:%u\",\"upstream\":\"127.0.0.1:%u\"}\n",
               static_cast<unsigned>(ntohs(address.sin_port)), static_cast<unsigned>(upstream_port));
  Relay(listener, Loopback(upstream_port)).Run();
}
