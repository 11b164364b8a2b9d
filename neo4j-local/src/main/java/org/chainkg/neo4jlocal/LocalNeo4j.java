package org.chainkg.neo4jlocal;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.connectors.HttpsConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.io.ByteUnit;
import org.neo4j.logging.Level;
import org.neo4j.logging.log4j.Log4jLogProvider;

/**
 * Runs Neo4j Community as an embedded DBMS with the Bolt connector on 127.0.0.1, for the service and its tests.
 *
 * <p>Protocol with the Node side (src/neo4j/localNeo4j.ts): it prints exactly one line starting with
 * {@code NEO4J_LOCAL_READY} followed by the Bolt URI once the default database answers a query, and
 * {@code NEO4J_LOCAL_FAILED <reason>} if it cannot start. It shuts the DBMS down and exits when its standard input
 * closes, so it can never outlive the Node process that started it, even if that process is killed with SIGKILL
 * (the pipe closes with the process). SIGTERM and SIGINT shut it down cleanly too.
 *
 * <p>Options: --home DIR (required; the store lives below it), --port N (0 picks a free port), --page-cache-mb N,
 * --tx-timeout-s N, --password PW (enables authentication for user neo4j), --plugins DIR (APOC jars, also on the
 * classpath), --detach-stdin (ignore stdin; for running by hand).
 */
public final class LocalNeo4j {
    private static final String READY = "NEO4J_LOCAL_READY";
    private static final String FAILED = "NEO4J_LOCAL_FAILED";

    private LocalNeo4j() {}

    public static void main(String[] args) {
        Map<String, String> options;
        try {
            options = parseOptions(args);
        } catch (IllegalArgumentException e) {
            fail(e.getMessage());
            return;
        }
        try {
            run(options);
        } catch (Throwable t) {
            t.printStackTrace(System.err);
            fail(t.getClass().getSimpleName() + ": " + String.valueOf(t.getMessage()).replace('\n', ' '));
        }
    }

    private static void run(Map<String, String> options) throws Exception {
        String homeOption = options.get("home");
        if (homeOption == null) {
            throw new IllegalArgumentException("--home DIR is required");
        }
        Path home = Path.of(homeOption).toAbsolutePath();
        Files.createDirectories(home);
        int port = intOption(options, "port", 7687);
        if (port == 0) {
            port = freeLoopbackPort();
        }
        long pageCacheMb = intOption(options, "page-cache-mb", 256);
        long txTimeoutSeconds = intOption(options, "tx-timeout-s", 60);
        String password = options.get("password");

        SocketAddress bolt = new SocketAddress("127.0.0.1", port);
        DatabaseManagementServiceBuilder builder = new DatabaseManagementServiceBuilder(home)
                .setUserLogProvider(new Log4jLogProvider(System.err, Level.WARN))
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, bolt)
                .setConfig(BoltConnector.advertised_address, bolt)
                .setConfig(HttpConnector.enabled, false)
                .setConfig(HttpsConnector.enabled, false)
                .setConfig(GraphDatabaseSettings.pagecache_memory, ByteUnit.mebiBytes(pageCacheMb))
                .setConfig(GraphDatabaseSettings.transaction_timeout, Duration.ofSeconds(txTimeoutSeconds))
                // Small stores for development and tests: no preallocated 250 MB transaction logs.
                .setConfig(GraphDatabaseSettings.preallocate_logical_logs, false)
                .setConfig(GraphDatabaseSettings.logical_log_rotation_threshold, ByteUnit.mebiBytes(25))
                .setConfig(GraphDatabaseSettings.auth_enabled, password != null);
        // Settings with no public constant go through a properties file (unknown keys fail startup, which is
        // what we want: a typo must not pass silently). The usage report is off because many users, and these
        // machines, are offline; it would only fail in the background. Bolt otherwise waits 5 s twice at shutdown
        // for connections that, for a local instance owned by one process, are already closed.
        Path rawConfig = home.resolve("neo4j-local.conf");
        Files.writeString(rawConfig, String.join("\n",
                "dbms.usage_report.enabled=false",
                "internal.server.bolt.thread_pool_shutdown_wait_time=1s",
                "internal.server.bolt.connection_shutdown_wait_time=1s",
                ""));
        builder.loadPropertiesFromFile(rawConfig);
        String plugins = options.get("plugins");
        if (plugins != null) {
            builder.setConfig(GraphDatabaseSettings.plugin_dir, Path.of(plugins).toAbsolutePath())
                    .setConfig(GraphDatabaseSettings.procedure_unrestricted, List.of("apoc.*"));
        }

        DatabaseManagementService dbms = builder.build();
        AtomicBoolean stopped = new AtomicBoolean(false);
        Runnable stop = () -> {
            if (stopped.compareAndSet(false, true)) {
                try {
                    dbms.shutdown();
                } catch (Throwable t) {
                    t.printStackTrace(System.err);
                }
            }
        };
        Runtime.getRuntime().addShutdownHook(new Thread(stop, "neo4j-local-shutdown"));

        if (password != null) {
            GraphDatabaseService system = dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME);
            system.executeTransactionally(
                    "ALTER USER neo4j SET PASSWORD $pw CHANGE NOT REQUIRED", Map.of("pw", password));
        }
        GraphDatabaseService db = dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME);
        db.executeTransactionally("RETURN 1");

        System.out.println(READY + " bolt://127.0.0.1:" + port);
        System.out.flush();

        if (!options.containsKey("detach-stdin")) {
            watchStdin();
            // Parent gone: System.exit runs the shutdown hook, which stops the DBMS cleanly.
            System.exit(0);
        }
        // Detached: the shutdown hook (SIGTERM / Ctrl-C) stops the DBMS; keep the main thread parked.
        Thread.currentThread().join();
    }

    /** Blocks until standard input reaches end of file, which happens when the parent process exits. */
    private static void watchStdin() {
        InputStream in = System.in;
        byte[] buffer = new byte[256];
        try {
            while (in.read(buffer) >= 0) {
                // Anything written is ignored; only the close matters.
            }
        } catch (IOException ignored) {
            // A broken pipe means the parent is gone as well.
        }
    }

    private static int freeLoopbackPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        }
    }

    private static Map<String, String> parseOptions(String[] args) {
        Map<String, String> options = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument '" + arg + "'");
            }
            String name = arg.substring(2);
            if (name.equals("detach-stdin")) {
                options.put(name, "true");
                continue;
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("option --" + name + " needs a value");
            }
            options.put(name, args[++i]);
        }
        return options;
    }

    private static int intOption(Map<String, String> options, String name, int fallback) {
        String value = options.get(name);
        if (value == null) {
            return fallback;
        }
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " must be a whole number, got '" + value + "'");
        }
    }

    private static void fail(String reason) {
        System.out.println(FAILED + " " + reason);
        System.out.flush();
        System.exit(1);
    }
}
