// TreeRemover: trees go on its worker thread while the loop goes on turning, completions come
// back on the loop in order, and none comes after destruction.

#include "agent/tree_remover.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "runtime/event_loop.h"

namespace plateau::agent {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class TreeRemoverTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / fmt::format("plateau-tree-remover-{}", ::getpid());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A tree of `files` small files in folders of 100.
  fs::path tree(const std::string& name, int files) {
    fs::path root = dir_ / name;
    for (int i = 0; i < files; ++i) {
      fs::path sub = root / fmt::format("d{}", i / 100);
      fs::create_directories(sub);
      std::ofstream(sub / fmt::format("f{}", i)) << "x";
    }
    return root;
  }

  fs::path dir_;
  EventLoop loop_;
};

TEST_F(TreeRemoverTest, RemovesTreesInOrderAndReportsOnTheLoop) {
  TreeRemover remover(loop_);
  fs::path big = tree("big", 3000);
  fs::path small = tree("small", 10);
  std::vector<std::string> done;
  const auto loop_thread = std::this_thread::get_id();
  remover.remove(big.string(), [&] {
    EXPECT_EQ(std::this_thread::get_id(), loop_thread);
    EXPECT_FALSE(fs::exists(big));
    done.push_back("big");
  });
  remover.remove(small.string(), [&] { done.push_back("small"); });
  remover.remove((dir_ / "missing").string(), [&] { done.push_back("missing"); });
  EXPECT_EQ(remover.pending(), 3u);
  // The loop keeps turning meanwhile: a timer fires while the trees go.
  int ticks = 0;
  auto timer = loop_.every(1ms, [&] { ++ticks; });
  ASSERT_TRUE(loop_.runUntil([&] { return done.size() == 3; }, 30s));
  loop_.cancel(timer);
  EXPECT_EQ(done, (std::vector<std::string>{"big", "small", "missing"}));
  EXPECT_EQ(remover.pending(), 0u);
  EXPECT_FALSE(fs::exists(small));
  EXPECT_GT(ticks, 0);
}

TEST_F(TreeRemoverTest, NoCompletionAfterDestruction) {
  bool called = false;
  fs::path one = tree("one", 200);
  {
    TreeRemover remover(loop_);
    remover.remove(one.string(), [&] { called = true; });
    // Destroyed before the loop ran the completion (if the tree went at all).
  }
  // Whatever the worker posted came before this marker (the destructor joined it).
  bool marker = false;
  loop_.post([&] { marker = true; });
  ASSERT_TRUE(loop_.runUntil([&] { return marker; }, 10s));
  EXPECT_FALSE(called);
}

}  // namespace
}  // namespace plateau::agent
