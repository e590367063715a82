import ArgumentParser
import FalcoRules

/// `tracelab fields`: the field catalog, like `falco --list`.
struct Fields: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the fields conditions and outputs can use (like falco --list).")

    @Option(help: "Only fields of this class (evt, proc, thread, user, group, fd, fs, container, k8s, syscall).")
    var fieldClass: String?

    @Option(help: "text or json.")
    var format: OutputStyle = .text

    func run() {
        let definitions = FieldCatalog.standard.definitions.filter { fieldClass == nil || $0.fieldClass == fieldClass }
        switch format {
        case .json:
            print(JSONValue.array(definitions.map { definition in
                .object([("name", .string(definition.name)), ("class", .string(definition.fieldClass)),
                         ("type", .string(definition.type.rawValue)), ("argument", .string(argumentText(definition.argument))),
                         ("description", .string(definition.description))])
            }).rendered)
        case .text:
            var currentClass = ""
            for definition in definitions {
                if definition.fieldClass != currentClass {
                    currentClass = definition.fieldClass
                    print("\n\(currentClass) fields")
                    print(String(repeating: "-", count: currentClass.count + 7))
                }
                let argument = argumentText(definition.argument)
                let name = definition.name + (argument.isEmpty ? "" : "[\(argument)]")
                print(name.padding(toLength: 36, withPad: " ", startingAt: 0) + " (\(definition.type.rawValue)) " + definition.description)
            }
        }
    }

    private func argumentText(_ argument: FieldArgument) -> String {
        switch argument {
        case .none: ""
        case .index: "N"
        case .optionalIndex: "N?"
        case .key: "KEY"
        case .optionalKey: "KEY?"
        }
    }
}

import TraceModel
