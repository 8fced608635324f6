<?php

declare(strict_types=1);

namespace iValid\Tests\Support;

/**
 * `ivalid worker` beside a live hub (same database), for the test that needs deliveries.
 *
 * Only for that test: on a shared PostgreSQL database a worker left running would also work
 * through the events of the other suites.
 */
final class Worker
{
    /** @param resource $process */
    private function __construct(private $process, private readonly string $log)
    {
    }

    public static function start(LiveHub $hub): self
    {
        $command = LiveHub::hubs()['worker_command'] ?? null;
        if (!is_array($command)) {
            throw new \RuntimeException('the driver gave no worker_command');
        }
        $log = $hub->cwd . '/php-worker.log';
        $process = proc_open($command, [0 => ['file', '/dev/null', 'r'], 1 => ['file', $log, 'w'], 2 => ['file', $log, 'a']], $pipes, $hub->cwd, $hub->env);
        if (!is_resource($process)) {
            throw new \RuntimeException('could not start ' . implode(' ', $command));
        }
        return new self($process, $log);
    }

    /** The end of the worker's output, for failure messages. */
    public function logTail(int $lines = 40): string
    {
        $all = file($this->log, FILE_IGNORE_NEW_LINES) ?: [];
        return implode("\n", array_slice($all, -$lines));
    }

    /** Stop the worker (SIGTERM, then SIGKILL after 15 s) and reap it. */
    public function stop(): void
    {
        if (!proc_get_status($this->process)['running']) {
            proc_close($this->process);
            return;
        }
        proc_terminate($this->process, SIGTERM);
        $deadline = microtime(true) + 15;
        while (proc_get_status($this->process)['running'] && microtime(true) < $deadline) {
            usleep(100_000);
        }
        if (proc_get_status($this->process)['running']) {
            proc_terminate($this->process, SIGKILL);
        }
        proc_close($this->process);
    }
}
