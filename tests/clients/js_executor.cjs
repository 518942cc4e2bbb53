// A custom executor written with the npm package mesos-framework (its Executor class), unchanged:
// it subscribes through the v1 executor API at MESOS_AGENT_ENDPOINT, reports TASK_RUNNING, then
// TASK_FINISHED with a message, and exits when the agent shuts it down.
'use strict';

const crypto = require('crypto');
const { Executor } = require('mesos-framework');

let executor;

function status(taskId, state, message) {
  executor.update({
    task_id: taskId,
    state,
    source: 'SOURCE_EXECUTOR',
    message,
    uuid: crypto.randomBytes(16).toString('base64'),
  });
}

executor = new Executor({
  handlers: {
    SUBSCRIBED(subscribed) {
      console.log(`js-executor subscribed on agent ${subscribed.agent_info.id.value}`);
    },
    LAUNCH(launched) {
      const id = launched.task.task_id;
      console.log(`js-executor launching ${id.value}`);
      status(id, 'TASK_RUNNING');
      setTimeout(() => status(id, 'TASK_FINISHED', 'finished by a mesos-framework executor'), 200);
    },
    KILL(killed) {
      status(killed.task_id, 'TASK_KILLED');
    },
    ACKNOWLEDGED(acknowledged) {
      console.log(`js-executor update acknowledged for ${acknowledged.task_id.value}`);
    },
    MESSAGE(message) {},
    ERROR(error) {
      console.log(`js-executor error: ${JSON.stringify(error)}`);
    },
    SHUTDOWN(shutdown) {
      console.log('js-executor shut down');
      process.exit(0);
    },
  },
});
executor.on('error', (error) => console.log(`js-executor library error: ${JSON.stringify(error)}`));
executor.subscribe();
