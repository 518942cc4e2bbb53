#pragma once

// The one place that pulls in Asio and Beast. Boost 1.74's awaitable.hpp uses std::exchange
// without <utility>, so it comes first.
#include <utility>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace plateau {
namespace asio = boost::asio;
namespace beast = boost::beast;
}  // namespace plateau
