// JSON Lines output of the analyses' subcommands, checked to load into pandas without
// reshaping: every record flat (no nested object or array) and every record of a type with
// the same keys in the same order.
#pragma once

#include <catch2/catch.hpp>

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ahat_test {

// The records, checked as above.
inline std::vector<nlohmann::json> flat_records(const std::string& out) {
    std::istringstream in(out);
    std::string line;
    std::map<std::string, std::vector<std::string>> keys;
    std::vector<nlohmann::json> records;
    while (std::getline(in, line)) {
        nlohmann::json j = nlohmann::json::parse(line);
        std::vector<std::string> ks;
        for (const auto& [key, v] : j.items()) {
            CHECK_FALSE((v.is_object() || v.is_array()));
            ks.push_back(key);
        }
        const std::string type = j["type"];
        if (keys.count(type)) CHECK(keys[type] == ks);
        keys[type] = ks;
        records.push_back(std::move(j));
    }
    return records;
}

}  // namespace ahat_test
