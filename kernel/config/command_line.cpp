// The command line is tokenized by Boost.Program_options, declared from the
// single flag table. Boost's long-option style with "disguise" already gives
// Go's spellings ("--x=v", "--x v", "-x=v", "-x v", "--" ends the flags);
// what Go's `flag` package does differently is handled narrowly:
//   - goFlagRules() (an extra style parser, tried before Boost's own) makes
//     parsing stop at the first non-flag argument, reports Go's "bad flag
//     syntax", accepts an empty "--x=" value (Boost refuses it) and turns an
//     unknown "-x" into an unknown flag (Boost would take it as a positional);
//   - values are applied walking the parsed options in command-line order,
//     not through po::store, because Go reports the first problem in order,
//     stops at -h/-help, lets the last occurrence win and checks values with
//     its own converters (flag_values.h / go_values.h);
//   - a value missing after the last flag makes Boost throw before anything
//     is applied; the arguments before it are then applied alone so an
//     earlier error or -help is still reported first, as Go does.
#include "command_line.h"

#include <algorithm>
#include <boost/any.hpp>
#include <boost/program_options/errors.hpp>
#include <boost/program_options/options_description.hpp>
#include <boost/program_options/parsers.hpp>
#include <boost/program_options/value_semantic.hpp>
#include <climits>
#include <memory>
#include <string>
#include <string_view>

namespace po = boost::program_options;

namespace cairn::config {
namespace {

// Go's flag package answers -h and -help itself when a program does not
// define them; they are declared so Boost recognises them, but they are not
// configuration (no table entry, no ETCD_ variable).
constexpr std::string_view kHelpNames[] = {"help", "h"};

bool isHelpName(std::string_view name) {
  return std::find(std::begin(kHelpNames), std::end(kHelpNames), name) != std::end(kHelpNames);
}

// Every flag as a string option: Boost only splits the command line; the
// table's kind decides how the text is read. Bool-like flags take an
// implicit "true" so "--x" alone needs no value and "--x=false" works.
const po::options_description& optionsDescription() {
  static const po::options_description desc = [] {
    po::options_description d;
    for (const FlagSpec& spec : flagTable()) {
      po::typed_value<std::string>* value = po::value<std::string>();
      if (spec.kind == FlagKind::Bool || spec.kind == FlagKind::Ignored) {
        value->implicit_value("true");
      }
      d.add_options()(std::string(spec.name).c_str(), value, std::string(spec.help).c_str());
    }
    for (std::string_view name : kHelpNames) {
      d.add_options()(std::string(name).c_str(), po::value<std::string>()->implicit_value("true"),
                      "Print the help text.");
    }
    return d;
  }();
  return desc;
}

// Only long options, with one or two dashes, never abbreviated, never
// case-folded; no short options, so "-abc" is the flag "abc" as in Go.
constexpr int kStyle =
    po::command_line_style::allow_long | po::command_line_style::allow_long_disguise |
    po::command_line_style::long_allow_adjacent | po::command_line_style::long_allow_next;

po::option makeOption(std::string key, std::vector<std::string> value, const std::string& token) {
  po::option opt;
  opt.string_key = std::move(key);
  opt.value = std::move(value);
  opt.original_tokens.push_back(token);
  return opt;
}

// True for an unregistered key that Go rejects as "bad flag syntax" rather
// than as an unknown flag ("---x", "-=x", "--=x").
bool isBadSyntaxKey(std::string_view key) {
  return key.empty() || key.front() == '-' || key.front() == '=';
}

// The extra style parser. Boost calls it first for every argument of the
// command line, and also, from inside its own value handling, on a one-token
// copy of the argument that follows a flag needing a value, to decide
// whether that argument is a flag rather than the value. Go always takes
// that argument as the value, even "-x" or "--", so the second kind of call
// must report "an option Boost does not know": a non-empty answer for a
// token starting with '-' (Boost then looks the raw token up, finds nothing
// and takes it as the value), an empty one otherwise (Boost's own parsers
// match nothing). The two kinds are told apart by the vector: the first call
// Boost makes passes the command line itself.
class GoFlagRules {
 public:
  explicit GoFlagRules(const po::options_description* desc) : desc_(desc) {}

  std::vector<po::option> operator()(std::vector<std::string>& args) {
    if (commandLine_ == nullptr) commandLine_ = &args;
    const std::string& token = args.front();
    if (&args != commandLine_) {
      if (!token.empty() && token.front() == '-') return {makeOption(token, {}, token)};
      return {};
    }

    if (token == "--") return {};  // Boost's terminator: the rest is positional

    if (token.size() < 2 || token.front() != '-') {
      // Go stops at the first non-flag argument: it and everything after
      // are positional. INT_MAX marks them as Boost's terminator does, so
      // Boost never hands one to a preceding bool flag as its value.
      std::vector<po::option> rest;
      for (const std::string& arg : args) {
        po::option opt = makeOption("", {arg}, arg);
        opt.position_key = INT_MAX;
        rest.push_back(std::move(opt));
      }
      args.clear();
      return rest;
    }

    const size_t dashes = token[1] == '-' ? 2 : 1;
    std::string_view rest = std::string_view(token).substr(dashes);
    std::vector<po::option> result;
    if (isBadSyntaxKey(rest)) {
      // Keyed by the whole token: it can never be registered, so Boost
      // marks it unregistered and applyParsed() reports the syntax.
      result.push_back(makeOption(token, {}, token));
    } else {
      const size_t eq = rest.find('=');
      std::string name(rest.substr(0, eq));
      if (eq != std::string_view::npos && eq + 1 == rest.size()) {
        // "--x=": Go sets the empty value; Boost would throw.
        result.push_back(makeOption(name, {""}, token));
      } else if (dashes == 1 && desc_->find_nothrow(name, false) == nullptr) {
        // An unknown "-x" is not a disguised long option for Boost; Go
        // reports it as an undefined flag.
        std::vector<std::string> value;
        if (eq != std::string_view::npos) value.emplace_back(rest.substr(eq + 1));
        result.push_back(makeOption(name, std::move(value), token));
      } else {
        return {};  // Boost's long or disguised-long parser takes it
      }
    }
    args.erase(args.begin());
    return result;
  }

 private:
  const po::options_description* desc_;
  const std::vector<std::string>* commandLine_ = nullptr;
};

std::vector<po::option> tokenize(const std::vector<std::string>& args) {
  const po::options_description& desc = optionsDescription();
  // Boost copies the style parser; the state lives here for this one run.
  auto rules = std::make_shared<GoFlagRules>(&desc);
  return po::command_line_parser(args)
      .options(desc)
      .style(kStyle)
      .extra_style_parser([rules](std::vector<std::string>& a) { return (*rules)(a); })
      .allow_unregistered()
      .run()
      .options;
}

Status fail(std::string message) {
  return Status(StatusCode::InvalidArgument, std::move(message));
}

// Applies the parsed options in command-line order with Go's semantics.
Status applyParsed(const std::vector<po::option>& options, FlagValues* values,
                   std::vector<std::string>* warnings, CommandLine* out) {
  const po::options_description& desc = optionsDescription();
  for (size_t i = 0; i < options.size(); ++i) {
    const po::option& opt = options[i];
    if (opt.string_key.empty()) {
      // Only positional arguments remain (see GoFlagRules).
      for (; i < options.size(); ++i) {
        out->positional.insert(out->positional.end(), options[i].value.begin(),
                               options[i].value.end());
      }
      break;
    }
    const std::string& name = opt.string_key;
    if (opt.unregistered) {
      if (isBadSyntaxKey(name)) return fail("bad flag syntax: " + opt.original_tokens.front());
      return fail("flag provided but not defined: -" + name);
    }
    if (isHelpName(name)) {
      out->helpRequested = true;  // Go stops here, whatever follows or the value
      return Status::ok();
    }
    const FlagSpec* spec = findFlag(name);
    if (spec == nullptr) return fail("flag provided but not defined: -" + name);

    // Boost's value semantic resolves the text (the implicit "true" for a
    // bare bool flag); Go's converters then judge it.
    boost::any parsed;
    desc.find(name, false).semantic()->parse(parsed, opt.value, true);
    const std::string text = boost::any_cast<std::string>(parsed);
    const bool hasValue = !opt.value.empty();
    const Status set = values->set(*spec, text, FlagSource::CommandLine);
    if (spec->kind == FlagKind::Bool || spec->kind == FlagKind::Ignored) {
      if (!set) {
        if (!hasValue) return fail("invalid boolean flag " + name + ": " + set.message());
        return fail("invalid boolean value \"" + text + "\" for -" + name + ": " + set.message());
      }
      if (spec->kind == FlagKind::Ignored) warnings->push_back(ignoredFlagWarning(name));
    } else if (!set) {
      return fail("invalid value \"" + text + "\" for flag -" + name + ": " + set.message());
    }
    if (std::find(out->setFlags.begin(), out->setFlags.end(), name) == out->setFlags.end()) {
      out->setFlags.push_back(name);
    }
  }
  return Status::ok();
}

std::string withoutDashes(std::string name) {
  name.erase(0, name.find_first_not_of('-'));
  return name;
}

}  // namespace

std::string ignoredFlagWarning(std::string_view name) {
  return "flag \"-" + std::string(name) + "\" is no longer supported - ignoring.";
}

Status parseCommandLine(int argc, const char* const* argv, FlagValues* values,
                        std::vector<std::string>* warnings, CommandLine* out) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i] != nullptr ? argv[i] : "");
  try {
    return applyParsed(tokenize(args), values, warnings, out);
  } catch (const po::invalid_command_line_syntax& e) {
    if (e.kind() != po::invalid_syntax::missing_parameter || args.empty()) return fail(e.what());
    // Only the last argument can lack its value (any earlier one would have
    // taken the next argument). Go would first meet whatever comes before.
    const std::string missing = withoutDashes(e.get_option_name());
    args.pop_back();
    try {
      Status s = applyParsed(tokenize(args), values, warnings, out);
      if (!s || out->helpRequested) return s;
    } catch (const po::error& inner) {
      return fail(inner.what());
    }
    return fail("flag needs an argument: -" + missing);
  } catch (const po::error& e) {
    // Not expected with the rules above; reported rather than hidden.
    return fail(e.what());
  }
}

}  // namespace cairn::config
