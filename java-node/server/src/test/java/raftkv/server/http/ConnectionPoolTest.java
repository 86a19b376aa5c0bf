package raftkv.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The forwarder's pool of idle connections: LRU, bounded, idle eviction, and no dead connection handed out. */
class ConnectionPoolTest {

    private static final long MAX_IDLE_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final AtomicLong now = new AtomicLong(1_000);
    private final ConnectionPool pool = new ConnectionPool(3, MAX_IDLE_NANOS, now::get);
    private ServerSocket leader;
    private ServerSocket oldLeader;
    /** The server ends of the connections, in the order they were accepted. */
    private final BlockingQueue<Socket> accepted = new LinkedBlockingQueue<>();
    private final List<Socket> serverEnds = new ArrayList<>();

    @BeforeEach
    void listen() throws IOException {
        leader = listener();
        oldLeader = listener();
    }

    @AfterEach
    void close() throws IOException {
        leader.close();
        oldLeader.close();
        for (Socket socket : serverEnds) {
            socket.close();
        }
    }

    private ServerSocket listener() throws IOException {
        ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(() -> {
            try {
                while (true) {
                    accepted.add(server.accept());
                }
            } catch (IOException e) {
                // closed
            }
        });
        return server;
    }

    private static URI uri(ServerSocket server) {
        return URI.create("http://127.0.0.1:" + server.getLocalPort());
    }

    /** A connection to {@code server}; its server end is added to {@link #serverEnds}. */
    private HttpExchange connect(ServerSocket server) throws Exception {
        HttpExchange connection = HttpExchange.connect(uri(server), 1000);
        Socket serverEnd = accepted.poll(5, TimeUnit.SECONDS);
        assertThat(serverEnd).isNotNull();
        serverEnds.add(serverEnd);
        return connection;
    }

    @Test
    void theMostRecentlyUsedConnectionToTheNodeIsHandedOutFirst() throws Exception {
        HttpExchange first = connect(leader);
        HttpExchange second = connect(leader);
        pool.giveBack(uri(leader), first);
        pool.giveBack(uri(leader), second);

        assertThat(pool.take(uri(leader))).isSameAs(second);
        assertThat(pool.take(uri(leader))).isSameAs(first);
        assertThat(pool.take(uri(leader))).isNull();
    }

    @Test
    void connectionsIdleTooLongAreClosedWhereverTheyAreInThePool() throws Exception {
        HttpExchange toOldLeader = connect(oldLeader); // the bottom of the pool, never asked for again
        pool.giveBack(uri(oldLeader), toOldLeader);
        now.addAndGet(MAX_IDLE_NANOS / 2);
        HttpExchange toLeader = connect(leader);
        pool.giveBack(uri(leader), toLeader);

        now.addAndGet(MAX_IDLE_NANOS / 2);
        assertThat(pool.take(uri(leader))).isSameAs(toLeader);

        assertThat(pool.size()).isZero();
        assertThat(toOldLeader.reusable()).as("closed, not left in CLOSE_WAIT").isFalse();
    }

    @Test
    void connectionsIdleTooLongAreClosedWhenNoForwardComes() throws Exception {
        HttpExchange connection = connect(leader);
        pool.giveBack(uri(leader), connection);

        now.addAndGet(MAX_IDLE_NANOS - 1);
        pool.evictIdle();
        assertThat(pool.size()).isEqualTo(1);
        now.addAndGet(1);
        pool.evictIdle(); // the forwarder's sweeper

        assertThat(pool.size()).isZero();
        assertThat(connection.reusable()).isFalse();
    }

    @Test
    void atMostTheBoundIsKeptAndTheLeastRecentlyUsedGoFirst() throws Exception {
        List<HttpExchange> connections = List.of(connect(leader), connect(leader), connect(oldLeader),
                connect(leader));
        for (HttpExchange connection : connections) {
            pool.giveBack(uri(connection == connections.get(2) ? oldLeader : leader), connection);
        }

        assertThat(pool.size()).isEqualTo(3);
        assertThat(connections.get(0).reusable()).isFalse();
        assertThat(pool.take(uri(oldLeader))).isSameAs(connections.get(2));
    }

    @Test
    void aConnectionTheOtherNodeClosedWhileIdleIsNeverHandedOut() throws Exception {
        HttpExchange closedByLeader = connect(leader);
        pool.giveBack(uri(leader), closedByLeader);
        HttpExchange open = connect(leader);
        pool.giveBack(uri(leader), open);
        closeServerEndOf(0); // the leader restarted, or its idle timeout struck: a FIN on the first

        assertThat(pool.take(uri(leader))).isSameAs(open);
        assertThat(pool.take(uri(leader))).as("half-closed: a request written to it would fail").isNull();
        assertThat(closedByLeader.reusable()).isFalse();
    }

    @Test
    void aConnectionWithBytesNobodyAskedForIsNeverHandedOut() throws Exception {
        HttpExchange outOfStep = connect(leader);
        pool.giveBack(uri(leader), outOfStep);
        Socket serverEnd = serverEnds.get(0);
        serverEnd.getOutputStream().write("HTTP/1.1 200 OK\r\n".getBytes());
        serverEnd.getOutputStream().flush();
        Thread.sleep(50);

        assertThat(pool.take(uri(leader))).isNull();
    }

    private void closeServerEndOf(int index) throws Exception {
        serverEnds.get(index).close();
        Thread.sleep(50); // the FIN crosses loopback
    }
}
