(ns jepsen.raftkv.json
  "A small JSON reader and writer, so the test needs no dependency beyond Jepsen. It covers what
  the raftkv HTTP API speaks: objects, arrays, strings, numbers, booleans and null. Objects are
  read into maps with string keys (the API's keys are data, e.g. the ids of GET /kv); numbers
  without a fraction or exponent into longs (or bigints), others into doubles."
  (:require [clojure.string :as str]))

;; Writing

(defn- write-string
  [^StringBuilder sb ^String s]
  (.append sb \")
  (dotimes [i (.length s)]
    (let [c (.charAt s i)]
      (case c
        \" (.append sb "\\\"")
        \\ (.append sb "\\\\")
        \newline (.append sb "\\n")
        \return (.append sb "\\r")
        \tab (.append sb "\\t")
        \backspace (.append sb "\\b")
        \formfeed (.append sb "\\f")
        (if (< (int c) 0x20)
          (.append sb (format "\\u%04x" (int c)))
          (.append sb c)))))
  (.append sb \"))

(defn- write-value
  [^StringBuilder sb x]
  (cond
    (nil? x)     (.append sb "null")
    (string? x)  (write-string sb x)
    (keyword? x) (write-string sb (name x))
    (boolean? x) (.append sb (str x))
    (integer? x) (.append sb (str x))
    (number? x)  (let [d (double x)]
                   (when (or (Double/isNaN d) (Double/isInfinite d))
                     (throw (IllegalArgumentException. (str "JSON cannot encode " x))))
                   (.append sb (str d)))
    (map? x)     (do (.append sb \{)
                     (loop [[[k v] & more] (seq x), first? true]
                       (when k
                         (when-not first? (.append sb \,))
                         (write-string sb (if (keyword? k) (name k) (str k)))
                         (.append sb \:)
                         (write-value sb v)
                         (recur more false)))
                     (.append sb \}))
    (sequential? x) (do (.append sb \[)
                        (loop [[v & more :as vs] (seq x), first? true]
                          (when vs
                            (when-not first? (.append sb \,))
                            (write-value sb v)
                            (recur more false)))
                        (.append sb \]))
    :else (throw (IllegalArgumentException. (str "JSON cannot encode " (pr-str x))))))

(defn write-str
  "Encodes a Clojure value (maps, sequences, strings, keywords, numbers, booleans, nil) as JSON."
  [x]
  (let [sb (StringBuilder.)]
    (write-value sb x)
    (str sb)))

;; Reading

(defn- parse-error
  [^String s i msg]
  (throw (ex-info (str "Invalid JSON at offset " i ": " msg)
                  {:type ::parse-error, :offset i, :input (subs s 0 (min (count s) 200))})))

(defn- skip-ws
  ^long [^String s ^long i]
  (loop [i i]
    (if (and (< i (.length s)) (Character/isWhitespace (.charAt s i)))
      (recur (inc i))
      i)))

(declare read-value)

(defn- read-string*
  "Reads a string whose opening quote is at i. Returns [string next-index]."
  [^String s ^long i]
  (let [sb (StringBuilder.)
        n  (.length s)]
    (loop [i (inc i)]
      (when (>= i n) (parse-error s i "unterminated string"))
      (let [c (.charAt s i)]
        (cond
          (= c \") [(str sb) (inc i)]
          (= c \\) (do (when (>= (inc i) n) (parse-error s i "unterminated escape"))
                       (let [e (.charAt s (inc i))]
                         (case e
                           \" (do (.append sb \") (recur (+ i 2)))
                           \\ (do (.append sb \\) (recur (+ i 2)))
                           \/ (do (.append sb \/) (recur (+ i 2)))
                           \b (do (.append sb \backspace) (recur (+ i 2)))
                           \f (do (.append sb \formfeed) (recur (+ i 2)))
                           \n (do (.append sb \newline) (recur (+ i 2)))
                           \r (do (.append sb \return) (recur (+ i 2)))
                           \t (do (.append sb \tab) (recur (+ i 2)))
                           \u (do (when (> (+ i 6) n) (parse-error s i "short \\u escape"))
                                  (let [hex (subs s (+ i 2) (+ i 6))]
                                    (when-not (re-matches #"[0-9a-fA-F]{4}" hex)
                                      (parse-error s i (str "bad \\u escape " hex)))
                                    (.append sb (char (Integer/parseInt hex 16)))
                                    (recur (+ i 6))))
                           (parse-error s i (str "bad escape \\" e)))))
          :else (do (.append sb c) (recur (inc i))))))))

(defn- read-number
  [^String s ^long i]
  (let [m (re-find #"^-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?" (subs s i))]
    (when-not m (parse-error s i "bad number"))
    (let [[text frac exp] m
          j (+ i (count text))]
      [(if (or frac exp)
         (Double/parseDouble text)
         (let [b (bigint text)]
           (if (<= Long/MIN_VALUE b Long/MAX_VALUE) (long b) b)))
       j])))

(defn- expect-literal
  [^String s ^long i ^String lit v]
  (if (.startsWith s lit i)
    [v (+ i (count lit))]
    (parse-error s i (str "expected " lit))))

(defn- read-object
  [^String s ^long i]
  (loop [i (skip-ws s (inc i)), m (transient {}), first? true]
    (when (>= i (.length s)) (parse-error s i "unterminated object"))
    (let [c (.charAt s i)]
      (cond
        (= c \}) [(persistent! m) (inc i)]
        (and (not first?) (not= c \,)) (parse-error s i "expected , or }")
        :else
        (let [i (if first? i (skip-ws s (inc i)))
              _ (when-not (and (< i (.length s)) (= \" (.charAt s i)))
                  (parse-error s i "expected a string key"))
              [k i] (read-string* s i)
              i (skip-ws s i)
              _ (when-not (and (< i (.length s)) (= \: (.charAt s i)))
                  (parse-error s i "expected :"))
              [v i] (read-value s (skip-ws s (inc i)))]
          (recur (skip-ws s i) (assoc! m k v) false))))))

(defn- read-array
  [^String s ^long i]
  (loop [i (skip-ws s (inc i)), v (transient []), first? true]
    (when (>= i (.length s)) (parse-error s i "unterminated array"))
    (let [c (.charAt s i)]
      (cond
        (= c \]) [(persistent! v) (inc i)]
        (and (not first?) (not= c \,)) (parse-error s i "expected , or ]")
        :else
        (let [i (if first? i (skip-ws s (inc i)))
              [x i] (read-value s i)]
          (recur (skip-ws s i) (conj! v x) false))))))

(defn- read-value
  [^String s ^long i]
  (let [i (skip-ws s i)]
    (when (>= i (.length s)) (parse-error s i "unexpected end of input"))
    (let [c (.charAt s i)]
      (case c
        \{ (read-object s i)
        \[ (read-array s i)
        \" (read-string* s i)
        \t (expect-literal s i "true" true)
        \f (expect-literal s i "false" false)
        \n (expect-literal s i "null" nil)
        (if (or (= c \-) (Character/isDigit c))
          (read-number s i)
          (parse-error s i (str "unexpected character " c)))))))

(defn read-str
  "Parses a JSON document. Throws ex-info with :type ::parse-error on malformed input (including
  trailing garbage)."
  [^String s]
  (when (nil? s) (throw (ex-info "Invalid JSON: nil" {:type ::parse-error})))
  (let [[v i] (read-value s 0)
        i     (skip-ws s i)]
    (when (< i (.length s)) (parse-error s i "trailing characters"))
    v))

(defn try-read-str
  "Like read-str, but returns nil for blank or malformed input instead of throwing."
  [s]
  (when (and (string? s) (not (str/blank? s)))
    (try (read-str s)
         (catch clojure.lang.ExceptionInfo _ nil))))
