package raftkv.server.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import raftkv.server.Json;

/**
 * A registration flood beside clients that depend on their sessions (dissertation §6.3). One part
 * sends {@code POST /sessions} --registrations times, --concurrency at a time. Meanwhile --clients
 * clients each open a session first, then advance a counter of their own by a chain of CAS writes
 * ({@code expected = i-1, name = i}), each sent with X-Client-Id / X-Client-Seq and then, after a
 * pause, sent AGAIN with the same sequence number: a deliberate duplicate, as after a lost answer.
 *
 * <p>The session must answer the duplicate with the first result (200, name i). Executed a second
 * time, the CAS would find i, not i-1, and answer 409 cas_mismatch: so a re-execution cannot hide.
 * A duplicate refused as session_expired means someone else's registrations evicted a session in
 * active use. At the end each counter is read back and must hold the last value confirmed.
 */
@Command(name = "sessions", mixinStandardHelpOptions = true,
        description = "POST /sessions flood beside clients retrying writes with their sessions.")
final class SessionFlood implements Runnable {

    private static final int RETRIES = 5;
    private static final int MIN_WRITES = 3;

    @Option(names = "--target", required = true, description = "Base URL of the node to send everything to (the leader).")
    URI target;

    @Option(names = "--registrations", defaultValue = "100000", description = "POST /sessions to send (default ${DEFAULT-VALUE}).")
    int registrations;

    @Option(names = "--concurrency", defaultValue = "32", description = "Registrations in flight (default ${DEFAULT-VALUE}).")
    int concurrency;

    @Option(names = "--clients", defaultValue = "10", description = "Clients writing with sessions (default ${DEFAULT-VALUE}).")
    int clients;

    @Option(names = "--pause-ms", defaultValue = "5000",
            description = "A client's pause between a write and its duplicate, and before its next write (default ${DEFAULT-VALUE}).")
    int pauseMillis;

    @Option(names = "--max-s", defaultValue = "900", description = "Longest the flood may run (default ${DEFAULT-VALUE}).")
    int maxSeconds;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final HostileClients.Tally flood = new HostileClients.Tally();
    private final HostileClients.Tally duplicates = new HostileClients.Tally();
    private final HostileClients.Tally firstAttempts = new HostileClients.Tally();
    private volatile boolean flooding = true;

    /** An answer: status and body, or status 0 and the exception's name when there was none. */
    record Answer(int status, String body) {
        String name() {
            return status == 0 ? body : HostileClients.statusName(status, body);
        }

        boolean confirms(long value) {
            return status == 200 && body.contains("\"name\":\"" + value + "\"");
        }
    }

    @Override
    public void run() {
        System.out.printf("sessions: %d POST /sessions (%d at a time) to %s beside %d clients (pause %d ms)%n",
                registrations, concurrency, target, clients, pauseMillis);
        List<Thread> writers = new ArrayList<>();
        List<String> verdicts = new CopyOnWriteArrayList<>(); // written by the writers' virtual threads
        for (int c = 0; c < clients; c++) {
            int client = c;
            writers.add(Thread.ofVirtual().start(() -> {
                String verdict = writeWithSession(client);
                verdicts.add(verdict);
            }));
        }
        long start = System.nanoTime();
        long deadline = start + TimeUnit.SECONDS.toNanos(maxSeconds);
        AtomicInteger next = new AtomicInteger();
        List<Thread> flooders = new ArrayList<>();
        for (int f = 0; f < concurrency; f++) {
            flooders.add(Thread.ofVirtual().start(() -> {
                while (next.getAndIncrement() < registrations && System.nanoTime() < deadline) {
                    flood.add(send(HttpRequest.newBuilder(target.resolve("/sessions"))
                            .POST(HttpRequest.BodyPublishers.noBody())).name());
                }
            }));
        }
        joinAll(flooders, maxSeconds + 30L);
        double seconds = (System.nanoTime() - start) / 1e9;
        flooding = false;
        joinAll(writers, (long) (RETRIES + 3) * pauseMillis / 1000 + 60);
        long sent = flood.total();
        System.out.printf("sessions: flood: %d sent in %.0f s (%.0f/s): %s%n", sent, seconds, sent / seconds, flood);
        verdicts.forEach(v -> System.out.println("sessions: " + v));
        System.out.printf("sessions: first attempts: %s%n", firstAttempts);
        System.out.printf("sessions: duplicates: %s%n", duplicates);
        // What a session had to survive: the registrations between a write and its duplicate.
        long between = Math.round(sent / seconds * pauseMillis / 1000);
        System.out.printf("NOTE: flood of %d POST /sessions in %.0f s (%.0f/s, so about %d between a write and its"
                + " duplicate): %s. %d clients' duplicates: %s%n", sent, seconds, sent / seconds, between, flood, clients,
                duplicates);
    }

    /** One client's chain of CAS writes, each sent twice with the same sequence number. */
    private String writeWithSession(int client) {
        Answer opened = send(HttpRequest.newBuilder(target.resolve("/sessions")).POST(HttpRequest.BodyPublishers.noBody()));
        if (opened.status() != 201) {
            return "client " + client + ": POST /sessions answered " + opened.name();
        }
        String id;
        try {
            id = Json.MAPPER.readTree(opened.body()).get("client_id").asText();
        } catch (IOException e) {
            return "client " + client + ": unreadable session " + opened.body();
        }
        String key = "/kv/flood-counter-" + client;
        long seq = 1;
        if (!untilConfirmed(put(key, id, seq, "{\"name\":\"0\"}"), 0)) {
            return "client " + client + ": could not write its counter's first value";
        }
        long value = 0;
        // Through the whole flood, and at least MIN_WRITES writes however short the flood.
        while (flooding || value < MIN_WRITES) {
            long next = value + 1;
            seq++;
            HttpRequest.Builder write = put(key + "/cas", id, seq, "{\"expected\":\"" + value + "\",\"name\":\"" + next + "\"}");
            Answer first = send(write.copy());
            firstAttempts.add(first.name());
            pause();
            Answer duplicate = send(write.copy());
            duplicates.add(classify(first, duplicate, next));
            if (!duplicate.confirms(next) && !untilConfirmed(write, next)) {
                return "client " + client + ": stopped at value " + value + ", the write of " + next + " unconfirmed"
                        + " (duplicate answered " + duplicate.name() + ")";
            }
            value = next;
            pause();
        }
        Answer read = send(HttpRequest.newBuilder(target.resolve(key)).GET());
        return "client " + client + " (session " + id + "): counter at " + value + "; read back "
                + (read.confirms(value) ? "the same" : "DIFFERENT: " + read.name() + " " + read.body());
    }

    /** What the duplicate of a write that should set {@code next} tells about the session. */
    private static String classify(Answer first, Answer duplicate, long next) {
        if (duplicate.confirms(next)) {
            return first.confirms(next) ? "same result" : "result after a failed first attempt";
        }
        if (duplicate.body().contains("\"session_expired\"")) {
            return "refused: session_expired";
        }
        if (duplicate.body().contains("\"cas_mismatch\"")) {
            return "RE-EXECUTED (cas_mismatch)";
        }
        return "other: " + duplicate.name();
    }

    /**
     * Resends the same write (same sequence number) up to RETRIES times until it is confirmed; gives
     * up at once on an answer no resend can change (the session is gone, or the CAS ran twice).
     */
    private boolean untilConfirmed(HttpRequest.Builder write, long value) {
        for (int i = 0; i < RETRIES; i++) {
            Answer answer = send(write.copy());
            if (answer.confirms(value)) {
                return true;
            }
            if (answer.body().contains("\"session_expired\"") || answer.body().contains("\"cas_mismatch\"")) {
                return false;
            }
            pause();
        }
        return false;
    }

    private HttpRequest.Builder put(String path, String clientId, long seq, String body) {
        return HttpRequest.newBuilder(target.resolve(path)).header("X-Client-Id", clientId)
                .header("X-Client-Seq", Long.toString(seq)).header("Content-Type", "application/json")
                .method(path.endsWith("/cas") ? "POST" : "PUT", HttpRequest.BodyPublishers.ofString(body));
    }

    private Answer send(HttpRequest.Builder request) {
        try {
            HttpResponse<String> response = http.send(request.copy().timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return new Answer(response.statusCode(), response.body());
        } catch (IOException e) {
            return new Answer(0, e.getClass().getSimpleName());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Answer(0, "interrupted");
        }
    }

    private void pause() {
        try {
            Thread.sleep(pauseMillis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void joinAll(List<Thread> threads, long seconds) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        for (Thread t : threads) {
            try {
                t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
