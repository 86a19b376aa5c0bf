(ns jepsen.raftkv.json-test
  (:require [clojure.test :refer [deftest is are testing]]
            [jepsen.raftkv.json :as json]))

(deftest reading
  (are [s v] (= v (json/read-str s))
    "{}"                          {}
    "[]"                          []
    "null"                        nil
    "true"                        true
    " false "                     false
    "0"                           0
    "-12"                         -12
    "1.5"                         1.5
    "2e3"                         2000.0
    "\"a\\\"b\\\\c\\n\\u00e9\""   "a\"b\\c\né"
    "{\"id\":\"1\",\"name\":\"3\"}" {"id" "1", "name" "3"}
    "{\"a\": [1, {\"b\": null}], \"c\": true}" {"a" [1 {"b" nil}], "c" true}
    "{\"error\":\"no_leader\",\"message\":\"m\",\"definite\":false}"
    {"error" "no_leader", "message" "m", "definite" false})
  (is (= 12345678901234567890N (json/read-str "12345678901234567890"))))

(deftest malformed
  (doseq [s ["" "{" "[1," "{\"a\" 1}" "{\"a\":1,}" "nul" "1 2" "\"abc" "{1:2}" "-" "[1 2]"]]
    (is (thrown? clojure.lang.ExceptionInfo (json/read-str s)) (pr-str s))
    (is (nil? (json/try-read-str s)) (pr-str s)))
  (is (nil? (json/try-read-str nil)))
  (is (nil? (json/try-read-str "   "))))

(deftest writing
  (are [v s] (= s (json/write-str v))
    {"name" "3"}                       "{\"name\":\"3\"}"
    {:expected "1"}                    "{\"expected\":\"1\"}"
    [1 "a" nil true]                   "[1,\"a\",null,true]"
    "q\"\\\n\u0001"                    "\"q\\\"\\\\\\n\\u0001\"")
  (testing "round trip"
    (let [v {"a" [1 2 {"b" "c\td"}], "e" nil, "f" false, "g" -3}]
      (is (= v (json/read-str (json/write-str v)))))))
