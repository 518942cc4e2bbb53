#pragma once

// The classic Mesos scheduler driver API (Scheduler, SchedulerDriver, MesosSchedulerDriver),
// in namespace `mesos` with the unversioned messages, so that a framework written against
// Mesos's <mesos/scheduler.hpp> builds against this header. It runs on Plateau's v1
// scheduler library (plateau/scheduler_client.h).

#include <memory>
#include <string>
#include <vector>

#include <mesos/mesos.pb.h>

namespace mesos {

class SchedulerDriver;

// What a framework implements. Callbacks run one at a time on the driver's callback thread;
// they may call the driver, but must not delete it.
class Scheduler {
 public:
  virtual ~Scheduler() = default;

  // The master accepted the framework (first subscription of this driver).
  virtual void registered(SchedulerDriver* driver, const FrameworkID& frameworkId,
                          const MasterInfo& masterInfo) = 0;
  // Subscribed again after a disconnection or a master failover.
  virtual void reregistered(SchedulerDriver* driver, const MasterInfo& masterInfo) = 0;
  // The connection to the master is lost; the driver is reconnecting.
  virtual void disconnected(SchedulerDriver* driver) = 0;
  virtual void resourceOffers(SchedulerDriver* driver, const std::vector<Offer>& offers) = 0;
  virtual void offerRescinded(SchedulerDriver* driver, const OfferID& offerId) = 0;
  // With implicit acknowledgements the driver acknowledges once this returns.
  virtual void statusUpdate(SchedulerDriver* driver, const TaskStatus& status) = 0;
  virtual void frameworkMessage(SchedulerDriver* driver, const ExecutorID& executorId,
                                const SlaveID& slaveId, const std::string& data) = 0;
  virtual void slaveLost(SchedulerDriver* driver, const SlaveID& slaveId) = 0;
  virtual void executorLost(SchedulerDriver* driver, const ExecutorID& executorId,
                            const SlaveID& slaveId, int status) = 0;
  // An unrecoverable error (the master removed or refused the framework): the driver is
  // aborted before this runs.
  virtual void error(SchedulerDriver* driver, const std::string& message) = 0;
};

// What a framework calls. Every call returns the driver's state; calls other than start()
// do nothing unless it is DRIVER_RUNNING.
class SchedulerDriver {
 public:
  virtual ~SchedulerDriver() = default;
  virtual Status start() = 0;
  // Without failover the framework is torn down (its tasks killed); with failover it stays
  // registered for FrameworkInfo.failover_timeout so another driver can take it over.
  virtual Status stop(bool failover = false) = 0;
  // No more callbacks; join() returns DRIVER_ABORTED. Does not unregister.
  virtual Status abort() = 0;
  // Blocks until the driver is stopped or aborted.
  virtual Status join() = 0;
  // start() then join().
  virtual Status run() = 0;
  virtual Status requestResources(const std::vector<Request>& requests) = 0;
  virtual Status launchTasks(const std::vector<OfferID>& offerIds,
                             const std::vector<TaskInfo>& tasks,
                             const Filters& filters = Filters()) = 0;
  virtual Status launchTasks(const OfferID& offerId, const std::vector<TaskInfo>& tasks,
                             const Filters& filters = Filters()) = 0;
  virtual Status killTask(const TaskID& taskId) = 0;
  virtual Status acceptOffers(const std::vector<OfferID>& offerIds,
                              const std::vector<Offer::Operation>& operations,
                              const Filters& filters = Filters()) = 0;
  virtual Status declineOffer(const OfferID& offerId, const Filters& filters = Filters()) = 0;
  virtual Status reviveOffers() = 0;
  virtual Status suppressOffers() = 0;
  // Only with explicit acknowledgements; statuses without a uuid need none.
  virtual Status acknowledgeStatusUpdate(const TaskStatus& status) = 0;
  virtual Status sendFrameworkMessage(const ExecutorID& executorId, const SlaveID& slaveId,
                                      const std::string& data) = 0;
  // Empty `statuses` asks for every task the master knows (implicit reconciliation).
  virtual Status reconcileTasks(const std::vector<TaskStatus>& statuses) = 0;
};

// The driver: connects to the master named by `master` (host:port, http://host:port,
// file:///path, or zk://host:port/path once HA exists) and keeps the framework subscribed.
// FrameworkInfo.user and .hostname are filled in when empty. Thread-safe.
class MesosSchedulerDriver : public SchedulerDriver {
 public:
  MesosSchedulerDriver(Scheduler* scheduler, const FrameworkInfo& framework,
                       const std::string& master);
  MesosSchedulerDriver(Scheduler* scheduler, const FrameworkInfo& framework,
                       const std::string& master, const Credential& credential);
  MesosSchedulerDriver(Scheduler* scheduler, const FrameworkInfo& framework,
                       const std::string& master, bool implicitAcknowledgements);
  MesosSchedulerDriver(Scheduler* scheduler, const FrameworkInfo& framework,
                       const std::string& master, bool implicitAcknowledgements,
                       const Credential& credential);
  // Disconnects without tearing the framework down; must not run inside a callback.
  ~MesosSchedulerDriver() override;

  Status start() override;
  Status stop(bool failover = false) override;
  Status abort() override;
  Status join() override;
  Status run() override;
  Status requestResources(const std::vector<Request>& requests) override;
  Status launchTasks(const std::vector<OfferID>& offerIds, const std::vector<TaskInfo>& tasks,
                     const Filters& filters = Filters()) override;
  Status launchTasks(const OfferID& offerId, const std::vector<TaskInfo>& tasks,
                     const Filters& filters = Filters()) override;
  Status killTask(const TaskID& taskId) override;
  Status acceptOffers(const std::vector<OfferID>& offerIds,
                      const std::vector<Offer::Operation>& operations,
                      const Filters& filters = Filters()) override;
  Status declineOffer(const OfferID& offerId, const Filters& filters = Filters()) override;
  Status reviveOffers() override;
  Status suppressOffers() override;
  Status acknowledgeStatusUpdate(const TaskStatus& status) override;
  Status sendFrameworkMessage(const ExecutorID& executorId, const SlaveID& slaveId,
                              const std::string& data) override;
  Status reconcileTasks(const std::vector<TaskStatus>& statuses) override;

  // Plateau extension: join() for at most `milliseconds`; DRIVER_RUNNING if still running.
  // Lets language bindings stay responsive to signals while waiting.
  Status joinFor(int milliseconds);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mesos
