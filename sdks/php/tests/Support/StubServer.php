<?php

declare(strict_types=1);

namespace iValid\Tests\Support;

/**
 * A real HTTP server on 127.0.0.1 that answers each route from a queue of `Reply`.
 *
 * It runs in a forked process (so the SDK under test talks to it over a real socket, one
 * request at a time, as the Python SDK's tests do with theirs). Replies queued with `queue()`
 * and the requests received travel through files; `default()` answers, given as closures, must
 * be set before the server starts (on the first `origin()`), and keep their state in the child.
 */
final class StubServer
{
    /** @var resource|null */
    private $socket;
    private int $port;
    private ?int $pid = null;
    private string $dir;
    /** @var array<string, \Closure(Received): Reply> */
    private array $defaults = [];

    public function __construct()
    {
        $socket = stream_socket_server('tcp://127.0.0.1:0', $errno, $error);
        if ($socket === false) {
            throw new \RuntimeException("cannot listen on loopback: {$error}");
        }
        $this->socket = $socket;
        $name = (string) stream_socket_get_name($socket, false);
        $this->port = (int) substr($name, strrpos($name, ':') + 1);
        $this->dir = sys_get_temp_dir() . '/ivalid-stub-' . bin2hex(random_bytes(6));
        mkdir($this->dir);
        file_put_contents($this->queueFile(), '{}');
        touch($this->logFile());
    }

    public function __destruct()
    {
        $this->close();
    }

    /** `http://127.0.0.1:PORT`; starts serving. */
    public function origin(): string
    {
        $this->start();
        return "http://127.0.0.1:{$this->port}";
    }

    /** The API base URL of the stub. */
    public function baseUrl(): string
    {
        return $this->origin() . '/v2';
    }

    /** Answer the next requests to `$method $path` with these replies, in order. */
    public function queue(string $method, string $path, Reply ...$replies): void
    {
        $this->withQueue(function (array $queues) use ($method, $path, $replies): array {
            foreach ($replies as $reply) {
                $queues["{$method} {$path}"][] = $reply->toArray();
            }
            return $queues;
        });
    }

    /** Answer `$method $path` with `$make($request)` once its queue is empty. */
    public function default(string $method, string $path, callable $make): void
    {
        if ($this->pid !== null) {
            throw new \LogicException('default() answers must be set before the server starts');
        }
        $this->defaults["{$method} {$path}"] = $make(...);
    }

    /** @return list<Received> every request received so far */
    public function received(): array
    {
        $received = [];
        foreach (file($this->logFile(), FILE_IGNORE_NEW_LINES | FILE_SKIP_EMPTY_LINES) ?: [] as $line) {
            $r = json_decode($line, true, 512, JSON_THROW_ON_ERROR);
            $received[] = new Received($r['method'], $r['path'], $r['headers'], base64_decode($r['body']));
        }
        return $received;
    }

    /** @return list<Received> the requests received for one route */
    public function calls(string $method, string $path): array
    {
        return array_values(array_filter(
            $this->received(),
            static fn (Received $r): bool => $r->method === $method && $r->route() === $path,
        ));
    }

    /** Stop serving and release the port. */
    public function close(): void
    {
        if ($this->pid !== null) {
            posix_kill($this->pid, SIGKILL);
            pcntl_waitpid($this->pid, $status);
            $this->pid = null;
        }
        if (is_resource($this->socket)) {
            fclose($this->socket);
        }
        $this->socket = null;
        if (is_dir($this->dir)) {
            array_map('unlink', glob($this->dir . '/*') ?: []);
            rmdir($this->dir);
        }
    }

    private function start(): void
    {
        if ($this->pid !== null) {
            return;
        }
        if ($this->socket === null) {
            throw new \LogicException('the stub server was closed');
        }
        $pid = pcntl_fork();
        if ($pid === -1) {
            throw new \RuntimeException('fork failed');
        }
        if ($pid === 0) {
            $this->serve(posix_getppid()); // never returns
        }
        $this->pid = $pid;
        fclose($this->socket); // the child listens; the parent's copy is not needed
        $this->socket = null;
    }

    private function serve(int $parent): never
    {
        $count = 0;
        while (true) {
            $conn = @stream_socket_accept($this->socket, 1.0);
            if ($conn === false) {
                if (posix_getppid() !== $parent) {
                    posix_kill(posix_getpid(), SIGKILL); // the test run died: do not linger
                }
                continue;
            }
            try {
                $request = self::readRequest($conn);
                if ($request !== null) {
                    $count++;
                    $this->handle($conn, $request, $count);
                }
            } catch (\Throwable $e) {
                fwrite(STDERR, "stub server: {$e}\n");
            }
            @fclose($conn);
        }
    }

    /** @param resource $conn */
    private function handle($conn, Received $request, int $count): void
    {
        file_put_contents($this->logFile(), json_encode([
            'method' => $request->method,
            'path' => $request->path,
            'headers' => $request->headers,
            'body' => base64_encode($request->body),
        ], JSON_THROW_ON_ERROR) . "\n", FILE_APPEND | LOCK_EX);
        $key = $request->method . ' ' . $request->route();
        $reply = null;
        $this->withQueue(function (array $queues) use ($key, &$reply): array {
            if (!empty($queues[$key])) {
                $reply = Reply::fromArray(array_shift($queues[$key]));
            }
            return $queues;
        });
        if ($reply === null && isset($this->defaults[$key])) {
            $reply = ($this->defaults[$key])($request);
        }
        $reply ??= new Reply(404, ['error' => ['code' => 'NOT_FOUND', 'message' => "no stub for {$key}"]]);
        if ($reply->drop) {
            stream_socket_shutdown($conn, STREAM_SHUT_RDWR);
            return;
        }
        $payload = $reply->body === null ? '' : json_encode($reply->body, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_THROW_ON_ERROR);
        $headers = [
            'Content-Type' => 'application/json',
            'Content-Length' => (string) strlen($payload),
            'X-Request-Id' => "req_stub{$count}",
            'Connection' => 'close',
        ] + $reply->headers;
        $text = "HTTP/1.1 {$reply->status} " . self::reason($reply->status) . "\r\n";
        foreach ($headers as $name => $value) {
            $text .= "{$name}: {$value}\r\n";
        }
        fwrite($conn, $text . "\r\n" . $payload);
    }

    /** @param resource $conn */
    private static function readRequest($conn): ?Received
    {
        $line = fgets($conn);
        if ($line === false || trim($line) === '') {
            return null;
        }
        [$method, $path] = explode(' ', trim($line), 3);
        $headers = [];
        while (($header = fgets($conn)) !== false && trim($header) !== '') {
            [$name, $value] = explode(':', $header, 2);
            $headers[trim($name)] = trim($value);
        }
        $length = 0;
        foreach ($headers as $name => $value) {
            if (strtolower($name) === 'content-length') {
                $length = (int) $value;
            }
        }
        $body = '';
        while (strlen($body) < $length && !feof($conn)) {
            $chunk = fread($conn, $length - strlen($body));
            if ($chunk === false) {
                break;
            }
            $body .= $chunk;
        }
        return new Received($method, $path, $headers, $body);
    }

    /** @param callable(array<string, list<array<string, mixed>>>): array<string, list<array<string, mixed>>> $change */
    private function withQueue(callable $change): void
    {
        $handle = fopen($this->queueFile(), 'c+');
        flock($handle, LOCK_EX);
        $queues = json_decode((string) stream_get_contents($handle), true) ?: [];
        $queues = $change($queues);
        ftruncate($handle, 0);
        rewind($handle);
        fwrite($handle, json_encode((object) $queues, JSON_THROW_ON_ERROR));
        fflush($handle);
        flock($handle, LOCK_UN);
        fclose($handle);
    }

    private function queueFile(): string
    {
        return $this->dir . '/queue.json';
    }

    private function logFile(): string
    {
        return $this->dir . '/received.jsonl';
    }

    private static function reason(int $status): string
    {
        return [200 => 'OK', 201 => 'Created', 400 => 'Bad Request', 401 => 'Unauthorized', 404 => 'Not Found', 409 => 'Conflict', 429 => 'Too Many Requests', 503 => 'Service Unavailable'][$status] ?? 'Status';
    }
}
