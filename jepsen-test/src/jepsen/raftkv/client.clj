(ns jepsen.raftkv.client
  "An HTTP client for raftkv, over the JDK's java.net.http (no extra dependency).

  The heart of this namespace is the mapping from what happened to a request to a Jepsen outcome.
  It is written as pure functions (`response->outcome`, `exception->outcome`) so that it can be
  unit-tested without a cluster:

    200                                   :ok
    404 not_found on a read               :ok, value :absent (the key is absent; not nil, which
                                          Knossos would take as \"read nothing\")
    404 not_found on a cas                :fail (absent, so nothing was swapped)
    409 cas_mismatch on a cas             :fail (the current value differs)
    error body with \"definite\": true      :fail (certainly not applied)
    error body with \"definite\": false     :info (maybe applied)
    anything else on a write/cas          :info (we cannot know)
    connection refused, connect timeout,
      unknown host, no route              :fail (the request was never sent)
    request timeout, connection reset,
      any other I/O error after sending   :info
    any failure of a read                 :fail (reads change nothing, so a failed read is
                                          certainly not 'applied')

  session_expired, stale_session and outcome_unknown carry \"definite\": false, so they are :info
  like any other indefinite error.

  Each Jepsen process opens its own client (Jepsen replaces the client when a process crashes
  with :info), and each client is a raftkv session: before its first mutation it opens one with
  POST /sessions, which issues the X-Client-Id; X-Client-Seq increases with every mutation, so the
  node applies any retried command at most once. If opening the session fails, the op is :fail
  (the op itself was never sent) and the next mutation tries again; after session_expired the
  next mutation opens a new session."
  (:require [clojure.string :as str]
            [clojure.walk]
            [clojure.tools.logging :refer [info warn]]
            [jepsen [client :as client]
                    [independent :as independent]])
  (:import (com.fasterxml.jackson.databind DeserializationFeature ObjectMapper)
           (java.io IOException)
           (java.net ConnectException NoRouteToHostException URI UnknownHostException)
           (java.net.http HttpClient HttpClient$Redirect HttpClient$Version HttpConnectTimeoutException
                          HttpRequest HttpRequest$BodyPublishers HttpRequest$Builder HttpResponse
                          HttpResponse$BodyHandlers HttpTimeoutException)
           (java.nio.channels UnresolvedAddressException)
           (java.time Duration)))

(def port
  "The port every raftkv node serves HTTP on."
  8080)

;; ---------------------------------------------------------------------------------------------
;; JSON, through Jackson (which Jepsen already brings onto the classpath)

(def ^:private ^ObjectMapper mapper
  (doto (ObjectMapper.)
    ; "1 2" is not one JSON document: refuse it rather than read the first value.
    (.enable DeserializationFeature/FAIL_ON_TRAILING_TOKENS)))

(defn- ->clj
  "Jackson's java.util maps, lists and boxed numbers as Clojure data: maps with string keys (the
  API's keys are data, e.g. the ids of GET /kv), vectors, longs (or bigints) and doubles."
  [x]
  (cond
    (instance? java.util.Map x)      (into {} (map (fn [[k v]] [k (->clj v)])) x)
    (instance? java.util.List x)     (mapv ->clj x)
    (instance? Integer x)            (long x)
    (instance? java.math.BigInteger x) (bigint x)
    :else                            x))

(defn write-json
  "x (maps with string or keyword keys, vectors, strings, numbers, booleans, nil) as a JSON string."
  ^String [x]
  (.writeValueAsString mapper (clojure.walk/stringify-keys x)))

(defn read-json
  "Parses s as one JSON document into Clojure data (see ->clj); nil if s is nil, blank or not JSON
  (a body we cannot parse is treated like no body: its operation's outcome stays unknown)."
  [^String s]
  (when (and s (not (str/blank? s)))
    (try
      (->clj (.readValue mapper s Object))
      (catch IOException _ nil))))

(defn node-url
  "The base URL of a node, e.g. http://n1:8080."
  [node]
  (str "http://" node ":" port))

(def default-timeouts
  "Client timeouts, in milliseconds. Short, so that operations against an unavailable cluster fail
  (or go :info) quickly instead of piling up. After an operation that could not reach its node
  (connection refused: the node is killed), the client waits :unreachable-backoff-ms before it
  takes the next one, as a real client would before reconnecting; without it, the threads of a
  dead node fail an operation every few milliseconds and take most of the --rate from the
  threads whose nodes work."
  {:connect-timeout-ms     1000
   :request-timeout-ms     2500
   :unreachable-backoff-ms 1000})

(def absent
  "The value of a read of a key that does not exist. The registers start out absent, so the model
  is (knossos.model/cas-register absent). It must not be nil: Knossos treats a read of nil as a
  read that observed nothing, which would hide a stale read of a key that was already written."
  :absent)

(def idempotent-fs
  "Operations that change nothing. Whatever happens to them, they can be recorded as :fail: a read
  that did not return a value has no effect on the history's state."
  #{:read :read-all :final-read})

;; ---------------------------------------------------------------------------------------------
;; Pure mapping from responses and exceptions to outcomes

(defn parse-name
  "Register values are small integers, stored in raftkv as decimal strings. Turns a name back into
  a long; anything that is not a decimal integer is kept as-is (and will then trip the checker,
  which is what we want for garbage)."
  [name]
  (cond
    (nil? name)     nil
    (integer? name) (long name)
    (and (string? name) (re-matches #"-?\d{1,18}" name)) (Long/parseLong name)
    :else name))

(defn parse-id
  "Ids come back from GET /kv as JSON object keys (strings). Numeric ids become longs, so they
  compare equal to the integer keys of jepsen.independent."
  [id]
  (cond
    (integer? id) (long id)
    (and (string? id) (re-matches #"-?\d{1,18}" id)) (Long/parseLong id)
    (keyword? id) (parse-id (name id))
    :else id))

(defn compare-ids
  "Orders ids: numbers before strings, each in their natural order."
  [a b]
  (cond
    (and (number? a) (number? b)) (compare a b)
    (number? a) -1
    (number? b) 1
    :else (compare (str a) (str b))))

(defn normalize-map
  "Turns the body of GET /kv into a sorted map of id -> value. Accepts the forms a KV server may
  reasonably answer with:

    {\"1\": \"3\", \"2\": \"0\"}                      an object of id -> name
    [{\"id\": \"1\", \"name\": \"3\"}, ...]          an array of entries
    {\"entries\": <either of the above>}          (or any single-key wrapper around them)

  Returns nil if the body has none of these shapes."
  [body]
  (letfn [(entry? [e] (and (map? e) (contains? e "id")))
          (scalar? [v] (or (nil? v) (string? v) (number? v)))]
    (cond
      (and (sequential? body) (every? entry? body))
      (into (sorted-map-by compare-ids)
            (map (fn [e] [(parse-id (get e "id")) (parse-name (get e "name"))]))
            body)

      (and (map? body) (every? scalar? (vals body)))
      (into (sorted-map-by compare-ids)
            (map (fn [[k v]] [(parse-id k) (parse-name v)]))
            body)

      (and (map? body) (= 1 (count body)))
      (normalize-map (val (first body)))

      :else nil)))

(defn error-info
  "Extracts the error fields of a raftkv error body {\"error\": code, \"message\": text,
  \"definite\": bool}. Returns a map with :status, and :code, :message, :definite when present."
  [status body raw]
  (let [m (when (map? body) body)]
    (cond-> {:status status}
      (contains? m "error")    (assoc :code (get m "error"))
      (contains? m "message")  (assoc :message (get m "message"))
      (contains? m "definite") (assoc :definite (get m "definite"))
      (and (nil? m) (string? raw) (not (str/blank? raw)))
      (assoc :body (subs raw 0 (min 200 (count raw)))))))

(defn- error-outcome
  "An outcome for an error response (not one of the documented semantic answers)."
  [f status body raw]
  (let [err (error-info status body raw)]
    (cond
      (idempotent-fs f)        {:type :fail, :error err}
      (true? (:definite err))  {:type :fail, :error err}
      ; definite: false, or missing, or a body we could not parse: the command may have been
      ; applied.
      :else                    {:type :info, :error err})))

(defn- semantic?
  "Is this 404/409 the documented answer (error code `code`, or no error code at all), rather than
  another error sharing the status, like no_route (404) or stale_session (409)?"
  [body code]
  (let [c (when (map? body) (get body "error"))]
    (or (nil? c) (= code c))))

(defn response->outcome
  "Maps an HTTP response to a Jepsen outcome for an operation with the given :f. The response is
  {:status int, :body parsed-JSON-or-nil, :raw string}. Returns {:type .. } plus :value (for
  values learned from the response: reads) or :error. The caller merges this into the op."
  [f {:keys [status body raw]}]
  (case f
    :read
    (case (int status)
      200 (if (and (map? body) (contains? body "name"))
            {:type :ok, :value (parse-name (get body "name"))}
            {:type :fail, :error {:status 200, :malformed-body (str raw)}})
      404 (if (semantic? body "not_found")
            {:type :ok, :value absent}
            (error-outcome f status body raw))
      (error-outcome f status body raw))

    (:write :add)
    (case (int status)
      200 {:type :ok}
      (error-outcome f status body raw))

    :read-all
    ; GET /kv: one page of the map, {"kv": {id: name}, "next": id-or-null}, linearizable (ReadIndex
    ; at the leader). (A bare map of id -> name is taken as the whole map.)
    (case (int status)
      200 (if-let [m (normalize-map (if (and (map? body) (contains? body "kv")) (get body "kv") body))]
            (cond-> {:type :ok, :value m}
              (some? (get body "next")) (assoc :next (get body "next")))
            {:type :fail, :error {:status 200, :malformed-body (str raw)}})
      (error-outcome f status body raw))

    :cas
    (case (int status)
      200 {:type :ok}
      409 (if (semantic? body "cas_mismatch")
            {:type :fail, :error :cas-mismatch}
            (error-outcome f status body raw))
      404 (if (semantic? body "not_found")
            {:type :fail, :error :not-found}
            (error-outcome f status body raw))
      (error-outcome f status body raw))

    :final-read
    ; GET /debug/kv: a page of this node's own state machine,
    ; {"lastApplied": n, "kv": {id: name}, "next": id-or-null}.
    (case (int status)
      200 (if-let [m (and (map? body) (contains? body "kv") (normalize-map (get body "kv")))]
            (cond-> {:type :ok, :value m, :last-applied (get body "lastApplied")}
              (some? (get body "next")) (assoc :next (get body "next")))
            {:type :fail, :error {:status 200, :malformed-body (str raw)}})
      (error-outcome f status body raw))))

;; ---------------------------------------------------------------------------------------------
;; Whole-map reads, a page at a time

(def paginated-fs
  "Operations that read the whole map: GET /kv and GET /debug/kv answer a page at a time."
  #{:read-all :final-read})

(def page-limit
  "Ids per page of a whole-map read: the most a node serves in one page."
  10000)

(defn page-request
  "The request for the page of req (a whole-map read) that follows the id `after` (nil: the first)."
  [req after]
  (update req :path str "?limit=" page-limit (when after (str "&after=" after))))

(defn merge-pages
  "Adds the outcome of the next page to the read so far (nil before the first page). A failed page
  fails the read. Pages of a node's own state (/debug/kv) read at different lastApplied are not one
  state of that node: the read fails (a final read then tries again). A cursor that does not move
  forward fails it too, rather than loop. Pages of GET /kv are each linearizable on their own; for
  the grow-only set of the set workload, their union is as good as one read."
  [so-far page after]
  (cond
    (not= :ok (:type page))
    page

    (and (:next page) after (not (pos? (compare (str (:next page)) (str after)))))
    {:type :fail, :error {:cursor-did-not-advance [after (:next page)]}}

    (nil? so-far)
    page

    (not= (:last-applied so-far) (:last-applied page))
    {:type :fail, :error {:state-moved-during-scan [(:last-applied so-far) (:last-applied page)]}}

    :else
    (-> so-far
        (update :value into (:value page))
        (assoc :next (:next page)))))

(defn- causes
  "The exception and its chain of causes."
  [^Throwable e]
  (take-while some? (iterate #(.getCause ^Throwable %) e)))

(defn exception-class
  "Classifies a request exception. Returns [kind definite?] where definite? is true when the
  request certainly never reached the server, or nil if e is not a request failure we know how to
  interpret (then the caller should let it propagate)."
  [^Throwable e]
  (let [cs (causes e)
        any? (fn [klass] (some #(instance? klass %) cs))]
    (cond
      ; Never sent: the TCP connection was never established.
      (any? HttpConnectTimeoutException)  [:connect-timeout true]
      (any? ConnectException)             [:connection-refused true]
      (any? NoRouteToHostException)       [:no-route-to-host true]
      (any? UnresolvedAddressException)   [:unknown-host true]
      (any? UnknownHostException)         [:unknown-host true]
      ; Sent, but we don't know what happened.
      (any? HttpTimeoutException)         [:timeout false]
      (instance? IOException e)           [:io false]
      :else nil)))

(def unreachable-kinds
  "Request failures that mean the node could not be reached at all."
  #{:connect-timeout :connection-refused :no-route-to-host :unknown-host})

(defn unreachable?
  "Did this outcome fail because its node could not be reached (so nothing was sent)? Covers the
  op's own request ([kind message]) and the session it needed first ([:open-session kind message])."
  [{:keys [type error]}]
  (and (= :fail type)
       (vector? error)
       (let [[a b] error]
         (boolean (or (unreachable-kinds a)
                      (and (= :open-session a) (unreachable-kinds b)))))))

(defn exception->outcome
  "Maps an exception thrown while performing a request to an outcome for an op with the given :f,
  or nil if the exception is not an I/O failure (a bug in the client, which should crash loudly)."
  [f ^Throwable e]
  (when-let [[kind definite?] (exception-class e)]
    (let [err [kind (or (.getMessage e) (.getName (class e)))]]
      (cond
        (idempotent-fs f) {:type :fail, :error err}
        definite?         {:type :fail, :error err}
        :else             {:type :info, :error err}))))

;; ---------------------------------------------------------------------------------------------
;; Requests

(defn set-element-key
  "The key that holds element e of the set workload: every add writes its own key, so adds never
  contend and a lost acknowledged add is a missing key."
  [e]
  (str "e" e))

(defn op->request
  "What HTTP request performs an operation with :f f on key k with (unwrapped) value v. Pure.
  Returns {:method, :path, :body (a Clojure map to send as JSON, or nil), :mutation? bool}."
  [f k v]
  (case f
    :read       {:method "GET", :path (str "/kv/" k)}
    :write      {:method "PUT", :path (str "/kv/" k), :body {"name" (str v)}, :mutation? true}
    :cas        (let [[expected new] v]
                  {:method "POST", :path (str "/kv/" k "/cas")
                   :body {"expected" (str expected), "name" (str new)}
                   :mutation? true})
    ; The set workload: element e is the key e<e>, whose name is e.
    :add        {:method "PUT", :path (str "/kv/" (set-element-key v)), :body {"name" (str v)}
                 :mutation? true}
    :read-all   {:method "GET", :path "/kv"}
    ; Node-local and not linearizable, never forwarded: the convergence check must see every
    ; node's own state machine, not the leader's through each follower.
    :final-read {:method "GET", :path "/debug/kv"}))

(defn http-client
  "A JDK HttpClient speaking HTTP/1.1 (no h2c upgrade dance) with a short connect timeout."
  ^HttpClient [{:keys [connect-timeout-ms]}]
  (-> (HttpClient/newBuilder)
      (.version HttpClient$Version/HTTP_1_1)
      (.followRedirects HttpClient$Redirect/NEVER)
      (.connectTimeout (Duration/ofMillis (or connect-timeout-ms
                                              (:connect-timeout-ms default-timeouts))))
      (.build)))

(defn request!
  "Performs a request against base-url. req is as from op->request; headers a map of extra
  headers. Returns {:status, :body (parsed JSON or nil), :raw}. Throws on I/O failure."
  [^HttpClient http base-url {:keys [method path body]} headers timeout-ms]
  (let [^HttpRequest$Builder b (-> (HttpRequest/newBuilder (URI/create (str base-url path)))
                                   (.timeout (Duration/ofMillis timeout-ms))
                                   (.header "Accept" "application/json"))
        _ (doseq [[k v] headers] (.header b (str k) (str v)))
        _ (if body
            (-> b
                (.header "Content-Type" "application/json")
                (.method ^String method (HttpRequest$BodyPublishers/ofString (write-json body))))
            (.method b ^String method (HttpRequest$BodyPublishers/noBody)))
        ^HttpResponse resp (.send http (.build b) (HttpResponse$BodyHandlers/ofString))
        raw (.body resp)]
    {:status (.statusCode resp)
     :raw    raw
     :body   (read-json raw)}))

(defn close-http!
  "Stops an HttpClient right away (in-flight requests are abandoned: their ops are already
  recorded)."
  [^HttpClient http]
  (when http
    (try (.shutdownNow http)
         (catch Throwable t (warn t "Error shutting down HttpClient")))))

(def ^:private admin-http
  "A shared client for administrative requests (status polling by the DB and nemesis)."
  (delay (http-client default-timeouts)))

(defn status
  "Fetches GET /status from a node: a map with string keys, or nil if the node does not answer
  with one within timeout-ms."
  ([node] (status node 1000))
  ([node timeout-ms]
   (try
     (let [{:keys [status body]} (request! @admin-http (node-url node)
                                           {:method "GET", :path "/status"} {} timeout-ms)]
       (when (and (= 200 status) (map? body))
         body))
     (catch IOException _ nil))))

(defn leader-status?
  "Does a /status body say this node is the leader?"
  [st]
  (= "leader" (some-> (get st "role") str str/lower-case)))

;; ---------------------------------------------------------------------------------------------
;; Sessions

(def open-session-request
  "POST /sessions registers a client session; the answer is 201 {\"client_id\": id}."
  {:method "POST", :path "/sessions"})

(defn open-session-outcome
  "Maps the response to POST /sessions. Pure. Returns {:client-id id} on 201 with an id, else a
  :fail outcome: the op that needed the session was not sent at all."
  [{:keys [status body raw]}]
  (let [id (when (map? body) (get body "client_id"))]
    (if (and (= 201 status) (string? id) (not (str/blank? id)))
      {:client-id id}
      {:type :fail, :error [:open-session (error-info status body raw)]})))

(defn session-expired?
  "Does this outcome say the client's session is gone (so the next mutation must open another)?"
  [outcome]
  (= "session_expired" (get-in outcome [:error :code])))

;; ---------------------------------------------------------------------------------------------
;; The Jepsen client

(defn- session-headers
  [client-id ^clojure.lang.Atom seq-counter]
  {"X-Client-Id"  client-id
   "X-Client-Seq" (swap! seq-counter inc)})

(defn ensure-session!
  "The client's session id, opening a session first if it has none. Returns {:client-id id}, or a
  :fail outcome if the session could not be opened."
  [{:keys [http node opts client-id seq-counter]}]
  (if-let [id @client-id]
    {:client-id id}
    (let [outcome (try
                    (open-session-outcome
                      (request! http (node-url node) open-session-request {} (:request-timeout-ms opts)))
                    (catch Exception e
                      (if-let [[kind _] (exception-class e)]
                        {:type :fail, :error [:open-session kind (or (.getMessage e) (.getName (class e)))]}
                        (throw e))))]
      (when-let [id (:client-id outcome)]
        (reset! client-id id)
        (reset! seq-counter 0))
      outcome)))

(defn- perform-request
  "Sends one request and maps whatever happens to an outcome."
  [http base-url f req headers timeout-ms]
  (try
    (response->outcome f (request! http base-url req headers timeout-ms))
    (catch Exception e
      (or (exception->outcome f e)
          (throw e)))))

(defn perform
  "Sends the request (for a whole-map read, one per page, following \"next\" until it is null)
  and maps whatever happens to an outcome."
  [http base-url f req headers timeout-ms]
  (if (paginated-fs f)
    (loop [after nil, so-far nil]
      (let [page    (perform-request http base-url f (page-request req after) headers timeout-ms)
            outcome (merge-pages so-far page after)]
        (if (and (= :ok (:type outcome)) (:next outcome))
          (recur (:next outcome) outcome)
          (dissoc outcome :next))))
    (perform-request http base-url f req headers timeout-ms)))

(defn settled-commit
  "The commit index of a leader whose whole log (logSize = its last index) is committed in its own
  term, else nil. Only then can the commit index no longer grow without new client writes: a
  leader that was just elected may still commit entries of earlier terms (with its own first
  entry, §5.4.2), so its commit index is not yet the final one, and nodes compared against it
  could be read at different points of the log."
  [leader-status]
  (let [{:strs [term commitIndex logSize lastLogTerm]} leader-status]
    (when (and (leader-status? leader-status) (number? commitIndex)
               (= commitIndex logSize) (= term lastLogTerm))
      commitIndex)))

(defn caught-up?
  "Has a node that applied up to last-applied caught up with the commit index its leader reports?
  Both must be known."
  [last-applied leader-commit]
  (boolean (and (number? last-applied) (number? leader-commit) (>= last-applied leader-commit))))

(defn final-read!
  "Reads the node's own map (GET /debug/kv, never forwarded) once the node has applied everything
  its leader has committed and the leader's log is settled (see settled-commit), retrying until
  then or until the final-read timeout passes: after the faults are healed, every node must catch
  up, and all of them are then read at the same commit index. A node that never does is recorded
  as a failed read, which fails the convergence check."
  [{:keys [http opts]} test op]
  (let [node      (or (:node op) (:node opts))
        req       (op->request :final-read nil nil)
        deadline  (+ (System/nanoTime)
                     (* 1000000 1000 (:final-read-timeout test 30)))
        timeout   (:request-timeout-ms opts)]
    (loop [attempt 1]
      (let [leader  (get (status node timeout) "leader")
            commit  (when leader (settled-commit (status leader timeout)))
            outcome (perform http (node-url node) :final-read req {} timeout)
            done?   (and (= :ok (:type outcome)) (caught-up? (:last-applied outcome) commit))]
        (cond
          done?
          (merge op outcome {:node node, :attempts attempt, :leader-commit commit})

          (< deadline (System/nanoTime))
          (merge op {:type :fail, :node node, :attempts attempt
                     :error {:not-caught-up {:last-applied (:last-applied outcome)
                                             :leader leader, :leader-commit commit
                                             :last-outcome (:type outcome)}}})

          :else
          (do (Thread/sleep 500)
              (recur (inc attempt))))))))

(defn- invoke-op!
  "Performs op and returns its completion."
  [{:keys [node http client-id seq-counter opts] :as this} test op]
  (if (= :final-read (:f op))
    (final-read! this test op)
    ; Register ops carry [key value] tuples (jepsen.independent); set ops a bare value.
    (let [tuple?  (independent/tuple? (:value op))
          [k v]   (if tuple? (:value op) [nil (:value op)])
          f       (:f op)
          req     (op->request f k v)
          session (when (:mutation? req) (ensure-session! this))]
      (if (:type session)
        (merge op session)
        (let [headers (when session (session-headers (:client-id session) seq-counter))
              ; An op may name its node (the final reads of the set workload go through each).
              target  (or (:node op) node)
              outcome (perform http (node-url target) f req headers (:request-timeout-ms opts))]
          (when (session-expired? outcome)
            (reset! client-id nil))
          (cond-> (merge op (dissoc outcome :value))
            (contains? outcome :value)
            (assoc :value (if tuple?
                            (independent/tuple k (:value outcome))
                            (:value outcome)))))))))

(defrecord Client [node http client-id seq-counter opts]
  client/Client
  (open! [this test node]
    (let [opts (merge default-timeouts
                      (select-keys test [:connect-timeout-ms :request-timeout-ms :unreachable-backoff-ms])
                      {:node node})]
      (assoc this
             :node        node
             :opts        opts
             :http        (http-client opts)
             :client-id   (atom nil)
             :seq-counter (atom 0))))

  (setup! [this test])

  (invoke! [this test op]
    (let [result (invoke-op! this test op)]
      (when (unreachable? result)
        (Thread/sleep (long (:unreachable-backoff-ms opts))))
      result))

  (teardown! [this test])

  (close! [this test]
    (close-http! http)))

(defn client
  "A fresh, unopened raftkv client."
  []
  (map->Client {}))
