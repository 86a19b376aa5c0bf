(ns jepsen.raftkv.http
  "raftkv's HTTP API over the JDK's java.net.http (no extra dependency): JSON through Jackson,
  which request performs which operation, sending one, and GET /status for the DB and nemesis."
  (:require [clojure.string :as str]
            [clojure.walk]
            [clojure.tools.logging :refer [warn]])
  (:import (com.fasterxml.jackson.databind DeserializationFeature ObjectMapper)
           (java.io IOException)
           (java.net URI)
           (java.net.http HttpClient HttpClient$Redirect HttpClient$Version
                          HttpRequest HttpRequest$BodyPublishers HttpRequest$Builder HttpResponse
                          HttpResponse$BodyHandlers)
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


(def open-session-request
  "POST /sessions registers a client session; the answer is 201 {\"client_id\": id}."
  {:method "POST", :path "/sessions"})


;; ---------------------------------------------------------------------------------------------
;; Membership administration (/admin/members, with the cluster token)

(def admin-timeout-ms
  "A membership change answers once its entry is committed: give it longer than a client op."
  10000)

(defn admin!
  "Sends a membership request (method, path, optional body map) to node with the cluster token,
  following 421 misdirected to the leader it names (at most three hops). Returns {:node (who
  answered), :status, :body}, or {:node, :status nil, :error text} when no answer came (the
  change's outcome is then unknown)."
  [node token method path body]
  (loop [node node, hops 0]
    (let [answer (try
                   (let [{:keys [status body]} (request! @admin-http (node-url node)
                                                         {:method method, :path path, :body body}
                                                         {"X-Raft-Token" token} admin-timeout-ms)]
                     {:node node, :status status, :body body})
                   (catch IOException e
                     {:node node, :status nil, :error (str (.getSimpleName (class e)) ": " (.getMessage e))}))
          leader (get-in answer [:body "leader"])]
      (if (and (= 421 (:status answer)) (string? leader) (not= leader node) (< hops 3))
        (recur leader (inc hops))
        answer))))

(defn member-ids
  "The ids in a GET /admin/members list (\"voters\" or \"learners\"): [{\"id\" ..} ..] -> sorted ids."
  [entries]
  (vec (sort (keep #(get % "id") entries))))
