package raftkv.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.io.File;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Real node processes ({@code java -jar raftkv-node.jar}) on loopback ports, each with its own data
 * directory and log file under {@code workDir}. Every process is killed by its pid in
 * {@link #close()}, and by a shutdown hook should the test JVM itself be stopped.
 */
final class NodeProcesses implements AutoCloseable {

    static final int ELECTION_MIN_MS = 300;
    static final int ELECTION_MAX_MS = 600;
    /** Every node's --cluster-token: peers and /admin/* requests present it. */
    static final String CLUSTER_TOKEN = "it-token";

    private final Path jar;
    private final Path workDir;
    private final Map<String, URI> urls = new LinkedHashMap<>();
    /** Each node's peer port, apart from its client port, as every launcher starts nodes. */
    private final Map<String, URI> peerUrls = new LinkedHashMap<>();
    private final Map<String, Process> running = new LinkedHashMap<>();
    private final List<String> extraArgs = new ArrayList<>();
    /** The cluster's first members (--peers); nodes added later join through a member (--join). */
    private final List<String> bootstrapIds = new ArrayList<>();
    /** Nodes started with --join, and through which member. */
    private final Map<String, String> joinVia = new LinkedHashMap<>();
    private final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(1))
            .build();
    private final Thread killOnExit = new Thread(this::killAll, "kill-node-processes");

    NodeProcesses(Path jar, Path workDir, int size) throws IOException {
        this.jar = jar;
        this.workDir = workDir;
        for (int i = 1; i <= size; i++) {
            urls.put("n" + i, URI.create("http://127.0.0.1:" + freePort()));
            peerUrls.put("n" + i, URI.create("http://127.0.0.1:" + freePort()));
            bootstrapIds.add("n" + i);
        }
        Runtime.getRuntime().addShutdownHook(killOnExit);
    }

    /**
     * {@code size} nodes of the jar the build just made ({@code -Draftkv.nodeJar}, else
     * target/raftkv-node.jar), with data and logs in a fresh target/it/NAME-TIMESTAMP directory.
     */
    static NodeProcesses fresh(String name, int size) throws IOException {
        Path workDir = Files.createDirectories(Path.of("target", "it", name + "-" + System.currentTimeMillis()));
        return new NodeProcesses(Path.of(System.getProperty("raftkv.nodeJar", "target/raftkv-node.jar")), workDir,
                size);
    }

    /** Options added to every node's command line from now on (e.g. {@code --snapshot-entries 50}). */
    NodeProcesses withArgs(String... args) {
        extraArgs.addAll(List.of(args));
        return this;
    }

    Path dataDir(String id) {
        return workDir.resolve(id);
    }

    /** Where the nodes' data directories and logs are. */
    Path workDir() {
        return workDir;
    }

    /** Waits for {@link #agreedLeader()}; fails the test after {@code timeout}. */
    String awaitAgreedLeader(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<String> leader = agreedLeader();
            if (leader.isPresent()) {
                return leader.get();
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no agreed leader within " + timeout + "; logs in " + workDir);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    List<String> ids() {
        return new ArrayList<>(urls.keySet());
    }

    List<String> runningIds() {
        return new ArrayList<>(running.keySet());
    }

    URI url(String id) {
        return urls.get(id);
    }

    Path logFile(String id) {
        return workDir.resolve(id + ".log");
    }

    void start(String id) throws IOException {
        launch(id, List.of("-jar", jar.toString()));
    }

    /**
     * Starts a node that is not one of the cluster's first members: with {@code --join} and the
     * client URL of {@code via}, on ports of its own (allocated at its first start).
     */
    void join(String id, String via) throws IOException {
        if (!urls.containsKey(id)) {
            urls.put(id, URI.create("http://127.0.0.1:" + freePort()));
            peerUrls.put(id, URI.create("http://127.0.0.1:" + freePort()));
        }
        joinVia.put(id, via);
        start(id);
    }

    /**
     * Starts node {@code id} through {@code mainClass}, a class of the test classes, with the jar
     * on the class path: {@code mainArgs}, then the node's options.
     */
    void startThrough(String id, Class<?> mainClass, String... mainArgs) throws IOException {
        String testClasses;
        try {
            testClasses = Path.of(mainClass.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IOException(e);
        }
        List<String> launch = new ArrayList<>(List.of("-cp", jar + File.pathSeparator + testClasses,
                mainClass.getName()));
        launch.addAll(List.of(mainArgs));
        launch(id, launch);
    }

    /** {@code launch}: what to run, {@code -jar JAR} or {@code -cp PATH CLASS ARGS}. */
    private void launch(String id, List<String> launch) throws IOException {
        String java = ProcessHandle.current().info().command().orElse(
                Path.of(System.getProperty("java.home"), "bin", "java").toString());
        String peers = bootstrapIds.stream().map(n -> n + "=" + urls.get(n)).collect(Collectors.joining(","));
        String peerUrlList = bootstrapIds.stream().map(n -> n + "=" + peerUrls.get(n)).collect(Collectors.joining(","));
        Path dataDir = Files.createDirectories(workDir.resolve(id));
        // As every launcher starts a node: an OutOfMemoryError anywhere ends the process at once.
        List<String> command = new ArrayList<>(List.of(java, "-Xmx192m", "-XX:+ExitOnOutOfMemoryError",
                "-XX:TieredStopAtLevel=1"));
        command.addAll(launch);
        command.addAll(List.of("--id", id, "--listen", "127.0.0.1:" + urls.get(id).getPort()));
        command.addAll(joinVia.containsKey(id)
                ? List.of("--join", urls.get(joinVia.get(id)).toString(),
                        "--listen-peers", "127.0.0.1:" + peerUrls.get(id).getPort())
                : List.of("--peers", peers,
                        "--listen-peers", "127.0.0.1:" + peerUrls.get(id).getPort(), "--peer-urls", peerUrlList));
        command.addAll(List.of("--data-dir", dataDir.toString(),
                "--election-timeout-ms", ELECTION_MIN_MS + "-" + ELECTION_MAX_MS, "--heartbeat-ms", "50",
                "--cluster-token", CLUSTER_TOKEN));
        command.addAll(extraArgs);
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile(id).toFile()))
                .start();
        running.put(id, process);
    }

    /** The process of node {@code id}, if this started it and did not stop it. */
    Process process(String id) {
        return running.get(id);
    }

    void startAll() throws IOException {
        for (String id : ids()) {
            start(id);
        }
    }

    /** SIGTERM: the node's shutdown hook runs (a leader hands leadership off first); waits for the exit. */
    void terminate(String id) throws InterruptedException {
        Process process = running.remove(id);
        if (process != null) {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                throw new AssertionError("node " + id + " did not exit within 30 s of SIGTERM");
            }
        }
    }

    /** kill -9: no shutdown hook, no flush — whatever was not fsynced is gone. */
    void kill(String id) throws InterruptedException {
        Process process = running.remove(id);
        if (process != null) {
            process.destroyForcibly();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                throw new AssertionError("node " + id + " did not exit within 30 s of kill -9");
            }
        }
    }

    void killAll() {
        for (Process process : running.values()) {
            process.destroyForcibly();
        }
        for (Process process : running.values()) {
            try {
                if (!process.waitFor(30, TimeUnit.SECONDS)) {
                    throw new AssertionError("a node did not exit within 30 s of kill -9: pid " + process.pid());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        running.clear();
    }

    /** GET {@code path} on node {@code id}: the status and JSON body, or empty if it did not answer. */
    Optional<Reply> get(String id, String path) {
        return send(id, HttpRequest.newBuilder(urls.get(id).resolve(path)).GET()).filter(r -> !r.notDelivered());
    }

    /**
     * Sends {@code request} to node {@code id}: its answer; {@link Reply#NOT_DELIVERED} if the
     * connection was refused (the request certainly never arrived); empty if the outcome is unknown.
     */
    Optional<Reply> send(String id, HttpRequest.Builder request) {
        try {
            HttpResponse<String> response = client.send(request.timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return Optional.of(new Reply(response.statusCode(), Json.MAPPER.readTree(response.body())));
        } catch (ConnectException e) {
            return Optional.of(Reply.NOT_DELIVERED);
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    record Reply(int status, JsonNode body) {
        static final Reply NOT_DELIVERED = new Reply(0, MissingNode.getInstance());

        boolean notDelivered() {
            return status == 0;
        }
    }

    /** The leader that every running node agrees on, if they all do. */
    Optional<String> agreedLeader() {
        String leader = null;
        for (String id : runningIds()) {
            Optional<Reply> status = get(id, "/status");
            if (status.isEmpty() || status.get().body().get("leader").isNull()) {
                return Optional.empty();
            }
            String theirs = status.get().body().get("leader").asText();
            if (leader != null && !leader.equals(theirs) || !running.containsKey(theirs)) {
                return Optional.empty();
            }
            leader = theirs;
        }
        return Optional.ofNullable(leader);
    }

    @Override
    public void close() {
        killAll();
        client.close();
        try {
            Runtime.getRuntime().removeShutdownHook(killOnExit);
        } catch (IllegalStateException e) {
            // the JVM is already shutting down; the hook will run
        }
    }
}
