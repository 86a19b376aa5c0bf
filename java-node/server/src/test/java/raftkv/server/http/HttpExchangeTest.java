package raftkv.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The forwarder's HTTP/1.1 exchange against a scripted server: one canned response per request. */
class HttpExchangeTest {

    private ServerSocket server;
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private int connections;

    /** Serves {@code responses} in order, one per request, over as many connections as the client opens. */
    private URI serve(String... responses) throws IOException {
        server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(() -> {
            int next = 0;
            try {
                while (next < responses.length) {
                    Socket socket = server.accept();
                    connections++;
                    InputStream in = socket.getInputStream();
                    while (next < responses.length) {
                        String request = readRequest(in);
                        if (request == null) {
                            break;
                        }
                        requests.add(request);
                        socket.getOutputStream().write(responses[next++].getBytes(StandardCharsets.UTF_8));
                        socket.getOutputStream().flush();
                    }
                }
            } catch (IOException e) {
                // the test is over
            }
        });
        return URI.create("http://127.0.0.1:" + server.getLocalPort());
    }

    /** Head and Content-Length body of one request, or null at end of stream. */
    private static String readRequest(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.UTF_8).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                return null;
            }
            head.write(b);
        }
        String text = head.toString(StandardCharsets.UTF_8);
        int length = Integer.parseInt(text.replaceAll("(?s).*Content-Length: (\\d+).*", "$1"));
        return text + new String(in.readNBytes(length), StandardCharsets.UTF_8);
    }

    @AfterEach
    void stop() throws IOException {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void aKeptAliveConnectionCarriesTheNextRequest() throws Exception {
        URI node = serve("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
                "HTTP/1.1 503 Service Unavailable\r\nX-Raftkv-Not-Leader: n2\r\nContent-Length: 3\r\n\r\nno!");
        try (HttpExchange connection = HttpExchange.connect(node, 1000)) {
            HttpExchange.Response first = connection.exchange("PUT", "/kv/a%20b", node,
                    Map.of("Content-Type", "application/json"), "{\"name\":\"x\"}".getBytes(), 1000);
            HttpExchange.Response second = connection.exchange("GET", "/kv/a", node, Map.of(), new byte[0], 1000);

            assertThat(first.status()).isEqualTo(200);
            assertThat(new String(first.body())).isEqualTo("{}");
            assertThat(second.status()).isEqualTo(503);
            assertThat(second.headers()).containsEntry("x-raftkv-not-leader", "n2");
            assertThat(connection.reusable()).isTrue();
        }
        assertThat(connections).isEqualTo(1);
        assertThat(requests.get(0)).startsWith("PUT /kv/a%20b HTTP/1.1\r\n").endsWith("\r\n\r\n{\"name\":\"x\"}");
    }

    @Test
    void aChunkedBodyIsReadWhole() throws Exception {
        URI node = serve("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n");
        try (HttpExchange connection = HttpExchange.connect(node, 1000)) {
            HttpExchange.Response response = connection.exchange("GET", "/", node, Map.of(), new byte[0], 1000);
            assertThat(new String(response.body())).isEqualTo("abcde");
            assertThat(connection.reusable()).isTrue();
        }
    }

    @Test
    void connectionCloseMeansNotReusable() throws Exception {
        URI node = serve("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
        try (HttpExchange connection = HttpExchange.connect(node, 1000)) {
            connection.exchange("GET", "/", node, Map.of(), new byte[0], 1000);
            assertThat(connection.reusable()).isFalse();
        }
    }

    @Test
    void somethingElseThanHttpIsAnError() throws Exception {
        URI node = serve("SSH-2.0-OpenSSH\r\n\r\n");
        try (HttpExchange connection = HttpExchange.connect(node, 1000)) {
            assertThatThrownBy(() -> connection.exchange("GET", "/", node, Map.of(), new byte[0], 1000))
                    .isInstanceOf(IOException.class).hasMessageContaining("not an HTTP response");
            assertThat(connection.reusable()).isFalse();
        }
    }

    @Test
    void noAnswerInTimeIsATimeoutAndSpendsTheConnection() throws Exception {
        URI node = serve(); // accepts nothing, answers nothing
        try (ServerSocket silent = server; HttpExchange connection = HttpExchange.connect(node, 1000)) {
            assertThatThrownBy(() -> connection.exchange("GET", "/", node, Map.of(), new byte[0], 100))
                    .isInstanceOf(SocketTimeoutException.class);
            assertThat(connection.reusable()).isFalse();
        }
    }
}
