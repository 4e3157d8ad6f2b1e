/**
 * @file Bicep grammar for tree-sitter
 * @author Amaan Qureshi <amaanq12@gmail.com>
 * @license MIT
 * @see {@link https://docs.microsoft.com/en-us/azure/azure-resource-manager/bicep/overview|official syntax spec}
 *
 * acr-cmk's fork of tree-sitter-bicep 1.1.0 (see README.md for what changed and why): types
 * are a grammar of their own (never expressions), operators bind as Bicep binds them, strings
 * are lexed by the external scanner, and the newer syntax is known (extensions, spread,
 * non-null assertions, interpolated multi-line strings, typed variables, `.bicepparam`
 * statements, …).
 */

/* eslint-disable arrow-parens */
/* eslint-disable camelcase */
/* eslint-disable-next-line spaced-comment */
/// <reference types="tree-sitter-cli/dsl" />
// @ts-check

// Bicep's operator precedence, loosest first (Bicep docs, "Operator precedence and
// associativity"): lambda, `?:`, `??`, `||`, `&&`, equality, comparison, additive,
// multiplicative, unary, then the postfix accesses `.` `[]` `()` `::` `!`.
const PREC = {
  LAMBDA: 1,
  TERNARY: 2,
  COALESCE: 3,
  OR: 4,
  AND: 5,
  EQUAL: 6,
  RELATIONAL: 7,
  ADD: 8,
  MULTIPLY: 9,
  UNARY: 10,
  POSTFIX: 11,
};

const primitive_types = [
  'array',
  'bool',
  'int',
  'object',
  'string',
];

module.exports = grammar({
  name: 'bicep',

  conflicts: $ => [
    // `(a, b) => …` and `(a)` read alike up to the `=>`.
    [$.primary_expression, $._lambda_parameter],
    // `ns.name` (a type member) and `ns.resourceInput<…>` read alike up to the `<`.
    [$._type_term, $.parameterized_type],
  ],

  externals: $ => [
    $.string_content,
    $._multiline_string_content,
    $._multiline_string_end,
    $._interpolated_multiline_start,
    $._interpolated_multiline_content,
    $._interpolated_multiline_interpolation_start,
    $._interpolated_multiline_end,
    // Never valid in the grammar: tree-sitter marks every external token valid while it
    // recovers from an error, which is how the scanner tells (and then does nothing).
    $._error_recovery_sentinel,
  ],

  extras: $ => [
    $.comment,
    $.diagnostic_comment,
    /\s|\uFEFF/,
  ],

  supertypes: $ => [
    $.statement,
    $.declaration,
    $.expression,
    $.primary_expression,
  ],

  // Bicep keywords are contextual (`param type string`, `for module in modules`, a variable
  // named `output`): with `word` set, tree-sitter lexes a keyword as an identifier wherever
  // the keyword itself could not be next, so names need nothing more, and no word is reserved.
  word: $ => $.identifier,


  rules: {
    infrastructure: $ => repeat($.statement),

    statement: $ => choice(
      $.decorators,
      $.declaration,
      $.import_statement,
      $.import_with_statement,
      $.import_functionality,
      $.extension_statement,
      $.using_statement,
      $.extends_statement,
      $.target_scope_assignment,
    ),

    declaration: $ => choice(
      $.module_declaration,
      $.metadata_declaration,
      $.output_declaration,
      $.parameter_declaration,
      $.parameter_assignment,
      $.extension_config_assignment,
      $.resource_declaration,
      $.type_declaration,
      $.variable_declaration,
      $.user_defined_function,
      $.test_block,
      $.assert_statement,
    ),

    module_declaration: $ => seq(
      'module',
      $.identifier,
      $.string,
      '=',
      choice($.if_statement, $.object, $.for_statement),
    ),

    // Legacy `import 'az@1.0.0'` / `provider 'kubernetes@1.0.0' with {…} as k8s`.
    import_statement: $ => seq(
      choice('import', 'provider'),
      $.string,
      optional(seq('as', $.identifier)),
    ),

    import_with_statement: $ => seq(
      choice('import', 'provider'),
      $.string,
      'with',
      $.expression,
      optional(seq('as', $.identifier)),
    ),

    // `import {a, b as c, 'quoted-name' as d} from '…'` (one item per line also) and
    // `import * as ns from '…'`.
    import_functionality: $ => seq(
      'import',
      choice(
        seq(
          '{',
          optionalCommaSep(choice(
            seq(choice($.identifier, $.string), 'as', $.identifier),
            $.identifier,
          )),
          '}',
        ),
        seq('*', 'as', $.identifier),
      ),
      'from',
      $.string,
    ),

    // `extension microsoftGraphV1_0`, `extension 'br:…' with {…} as alias`.
    extension_statement: $ => seq(
      'extension',
      choice($.identifier, $.string),
      optional(seq('with', $.object)),
      optional(seq('as', $.identifier)),
    ),

    // `.bicepparam`: `using 'main.bicep'`, `using 'main.bicep' with {…}`, `using none`.
    using_statement: $ => seq(
      'using',
      choice($.string, 'none'),
      optional(seq('with', $.object)),
    ),

    // `.bicepparam`: `extends 'shared.bicepparam'`.
    extends_statement: $ => seq('extends', $.string),

    target_scope_assignment: $ => seq('targetScope', '=', $.string),

    metadata_declaration: $ => seq(
      'metadata',
      $.identifier,
      '=',
      $.expression,
    ),

    output_declaration: $ => seq(
      'output',
      $.identifier,
      $.type,
      '=',
      $.expression,
    ),

    parameter_declaration: $ => seq(
      'param',
      $.identifier,
      $.type,
      optional(seq('=', $.expression)),
    ),

    // `.bicepparam`: `param name = value` (a `.bicep` file rejects it: the front end says so).
    parameter_assignment: $ => seq(
      'param',
      $.identifier,
      '=',
      $.expression,
    ),

    // `.bicepparam`: `extensionConfig name with {…}`.
    extension_config_assignment: $ => seq(
      'extensionConfig',
      $.identifier,
      'with',
      $.object,
    ),

    resource_declaration: $ => seq(
      'resource',
      $.identifier,
      $.string,
      optional('existing'),
      '=',
      choice($.if_statement, $.object, $.for_statement),
    ),

    type_declaration: $ => seq(
      'type',
      $.identifier,
      '=',
      $.type,
    ),

    // `var name = value`, `var name type = value`.
    variable_declaration: $ => seq(
      'var',
      $.identifier,
      optional($.type),
      '=',
      $.expression,
    ),

    user_defined_function: $ => seq(
      'func',
      field('name', $.identifier),
      $.parameters,
      field('returns', $.type),
      '=>',
      $.expression,
    ),

    test_block: $ => seq(
      'test',
      $.identifier,
      $.string,
      '=',
      $.object,
    ),

    assert_statement: $ => seq(
      'assert',
      field('name', $.identifier),
      '=',
      $.expression,
    ),

    parameters: $ => seq('(', commaSep($.parameter), ')'),

    parameter: $ => seq($.identifier, $.type),

    // ----- expressions -----

    expression: $ => choice(
      $.primary_expression,
      $.unary_expression,
      $.binary_expression,
      $.ternary_expression,
      $.lambda_expression,
    ),

    primary_expression: $ => choice(
      $.identifier,
      $.number,
      $.boolean,
      $.null,
      $.string,
      $.object,
      $.array,
      $.for_statement,
      $.parenthesized_expression,
      $.member_expression,
      $.subscript_expression,
      $.call_expression,
      $.resource_expression,
      $.non_null_expression,
    ),

    call_expression: $ => prec(PREC.POSTFIX, seq(
      field('function', $.primary_expression),
      field('arguments', $.arguments),
    )),

    arguments: $ => seq('(', commaSep($.expression), ')'),

    // The `[` of a subscript and a non-null `!` follow their operand with no space: in an
    // array a new line separates items (`[\n  true\n  [1]\n  !x\n]` holds three), which the
    // compiler reads from the line break and this grammar from the missing adjacency.
    _immediate_bracket: _ => token.immediate(prec(1, '[')),
    _immediate_bang: _ => token.immediate(prec(1, '!')),

    parenthesized_expression: $ => seq('(', $.expression, ')'),

    // `x => …`, `(a, b) => …`, `() => …`: the parameters are an identifier or a
    // parenthesized_expression node holding the identifiers.
    lambda_expression: $ => prec.right(PREC.LAMBDA, seq(
      choice(
        $.identifier,
        alias($._lambda_parameters, $.parenthesized_expression),
      ),
      '=>',
      $.expression,
    )),

    _lambda_parameters: $ => seq('(', commaSep($._lambda_parameter), ')'),
    _lambda_parameter: $ => $.identifier,

    // `@description('…')`, `@sys.description('…')`: a call of a (namespaced) name, nothing
    // longer, so a decorator never runs into a parenthesized type after it.
    decorator: $ => seq('@', alias($._decorator_call, $.call_expression)),

    _decorator_call: $ => seq(
      field('function', choice(
        $.identifier,
        alias($._namespaced_name, $.member_expression),
      )),
      field('arguments', $.arguments),
    ),

    _namespaced_name: $ => seq(
      field('object', $.identifier),
      '.',
      field('property', alias($.identifier, $.property_identifier)),
    ),
    decorators: $ => prec.right(repeat1($.decorator)),

    array: $ => seq(
      '[',
      optionalCommaSep(choice($.expression, $.spread_element)),
      ']',
    ),

    object: $ => seq(
      '{',
      optionalCommaSep(choice(
        seq(optional($.decorators), $.object_property),
        $.spread_element,
      )),
      '}',
    ),

    object_property: $ => choice(
      seq(
        // `resource` is also where a nested resource may start: as a key it is a name.
        choice($.identifier, alias('resource', $.identifier), $.string),
        ':',
        $.expression,
      ),
      $.resource_declaration,
    ),

    // `...x` in an object or array.
    spread_element: $ => seq('...', $.expression),

    if_statement: $ => seq('if', $.parenthesized_expression, $.object),

    for_statement: $ => seq(
      '[',
      'for',
      choice(
        $.for_loop_parameters,
        field('initializer', $.identifier),
      ),
      'in',
      $.expression,
      ':',
      field('body', choice($.expression, $.if_statement)),
      ']',
    ),

    for_loop_parameters: $ => seq(
      '(',
      alias($.identifier, $.loop_variable),
      ',',
      alias($.identifier, $.loop_enumerator),
      ')',
    ),

    member_expression: $ => prec(PREC.POSTFIX, seq(
      field('object', $.primary_expression),
      choice('.', '.?'),
      field('property', alias($.identifier, $.property_identifier)),
    )),

    // `a[i]`, `a[?i]` (null if absent), `a[^1]` (from the end).
    subscript_expression: $ => prec(PREC.POSTFIX, seq(
      field('object', $.primary_expression),
      alias($._immediate_bracket, '['),
      optional('?'),
      optional('^'),
      field('index', $.expression),
      ']',
    )),

    resource_expression: $ => prec(PREC.POSTFIX, seq(
      field('object', $.primary_expression),
      '::',
      field('resource', $.identifier),
    )),

    // The non-null assertion `x!`, `f(x)!`, `a[0]!`.
    non_null_expression: $ => prec(PREC.POSTFIX, seq(
      field('expression', $.primary_expression),
      alias($._immediate_bang, '!'),
    )),

    ternary_expression: $ => prec.right(PREC.TERNARY, seq(
      field('condition', $.expression),
      '?',
      field('consequence', $.expression),
      ':',
      field('alternative', $.expression),
    )),

    binary_expression: $ => {
      const table = [
        ['??', PREC.COALESCE],
        ['||', PREC.OR],
        ['&&', PREC.AND],
        ['==', PREC.EQUAL],
        ['!=', PREC.EQUAL],
        ['=~', PREC.EQUAL],
        ['!~', PREC.EQUAL],
        ['>', PREC.RELATIONAL],
        ['>=', PREC.RELATIONAL],
        ['<', PREC.RELATIONAL],
        ['<=', PREC.RELATIONAL],
        ['+', PREC.ADD],
        ['-', PREC.ADD],
        ['*', PREC.MULTIPLY],
        ['/', PREC.MULTIPLY],
        ['%', PREC.MULTIPLY],
      ];

      return choice(...table.map(([operator, precedence]) => {
        return prec.left(precedence, seq(
          field('left', $.expression),
          // @ts-ignore
          field('operator', operator),
          field('right', $.expression),
        ));
      }));
    },

    unary_expression: $ => prec(PREC.UNARY, seq(
      field('operator', choice('!', '-')),
      field('argument', $.expression),
    )),

    number: _ => /[0-9]+/,

    boolean: _ => choice('true', 'false'),

    null: _ => 'null',

    // ----- strings -----

    string: $ => choice(
      $._string_literal,
      $._multiline_string_literal,
      $._interpolated_multiline_string_literal,
    ),

    // `'…${expr}…'` with escapes. The content is lexed by the external scanner, so a comment
    // opener inside a string (`'//'`, `'/*'`) is text, and a string ends at the end of its line.
    _string_literal: $ => seq(
      '\'',
      repeat(choice(
        $.string_content,
        $.escape_sequence,
        $.interpolation,
      )),
      '\'',
    ),

    // `'''…'''`: no escapes, no interpolation. A run of three or more quotes ends the string;
    // the quotes before its last three belong to the value (`''''abc''''` is `'abc'`) but are
    // part of the closing token (a lexer cannot end a token three characters before the end
    // of a run it has yet to read), so the front end reads the value from the text.
    _multiline_string_literal: $ => seq(
      '\'\'\'',
      optional(alias($._multiline_string_content, $.string_content)),
      alias($._multiline_string_end, '\'\'\''),
    ),

    // `$'''…${expr}…'''`, `$$'''…$${expr}…'''`: as many `$` open an interpolation as opened
    // the string.
    _interpolated_multiline_string_literal: $ => seq(
      alias($._interpolated_multiline_start, '$\'\'\''),
      repeat(choice(
        alias($._interpolated_multiline_content, $.string_content),
        alias($._multiline_interpolation, $.interpolation),
      )),
      alias($._interpolated_multiline_end, '\'\'\''),
    ),

    _multiline_interpolation: $ => seq(
      alias($._interpolated_multiline_interpolation_start, '${'),
      $.expression,
      '}',
    ),

    escape_sequence: _ => token.immediate(seq(
      '\\',
      choice(
        /[^u]/,
        /u\{[0-9a-fA-F]+\}/,
      ))),

    interpolation: $ => seq('${', $.expression, '}'),

    identifier: _ => /[a-zA-Z_][a-zA-Z0-9_]*/,

    // ----- types -----

    // Types are not expressions: `param lock lockType?` followed by another declaration is a
    // nullable type, never the start of a conditional.
    type: $ => choice($.union_type, $._type_term),

    _type_term: $ => choice(
      $.primitive_type,
      $.identifier,
      $.string,
      $.boolean,
      $.null,
      $.number,
      $.negative_number,
      $.object_type,
      $.tuple_type,
      $.array_type,
      $.nullable_type,
      $.non_nullable_type,
      $.parenthesized_type,
      $.parameterized_type,
      $.resource_type,
      $.type_member,
      $.negated_type,
    ),

    // `!true` (a literal type).
    negated_type: $ => seq('!', $._type_term),

    negative_number: $ => seq('-', $.number),

    primitive_type: _ => choice(...primitive_types),

    array_type: $ => prec(1, seq($._type_term, '[', ']')),

    nullable_type: $ => prec(1, seq($._type_term, '?')),

    // `t!`: `t` without null.
    non_nullable_type: $ => prec(1, seq($._type_term, '!')),

    // `ns.name`, `t.prop`, `t[*]`, `t[0]`, `t.*` (a type's member types).
    type_member: $ => prec(1, seq(
      $._type_term,
      choice(
        seq('.', alias($.identifier, $.property_identifier)),
        seq('[', choice('*', $.number), ']'),
        seq('.', '*'),
      ),
    )),

    // `'a' | 'b'`; also with a leading `|` (one member per line), even for a single member.
    union_type: $ => prec.left(1, choice(
      seq('|', $._type_term, repeat(seq('|', $._type_term))),
      seq($._type_term, repeat1(seq('|', $._type_term))),
    )),

    parenthesized_type: $ => seq('(', $.type, ')'),

    // `resource<'T@v'>`, `resourceInput<'T@v'>`, `sys.resourceOutput<'T@v'>`.
    parameterized_type: $ => seq(
      optional(seq($.identifier, '.')),
      choice('resource', $.identifier),
      $.type_arguments,
    ),

    // Usually one string; the compiler checks the arguments, not the parser.
    type_arguments: $ => seq(
      '<',
      commaSep($.type),
      '>',
    ),

    // `output sa resource 'T@v' = …`.
    resource_type: $ => seq('resource', $.string),

    object_type: $ => seq(
      '{',
      optionalCommaSep(seq(optional($.decorators), $.object_type_property)),
      '}',
    ),

    object_type_property: $ => seq(
      choice($.identifier, $.string, '*'),
      optional('?'),
      ':',
      $.type,
    ),

    tuple_type: $ => seq(
      '[',
      optionalCommaSep(seq(optional($.decorators), $.type)),
      ']',
    ),

    // http://stackoverflow.com/questions/13014947/regex-to-match-a-c-style-multiline-comment/36328890#36328890
    comment: _ => token(choice(
      seq('//', /[^\n]*/),
      seq(
        '/*',
        /[^*]*\*+([^/*][^*]*\*+)*/,
        '/',
      ),
    )),
    // `#disable-next-line …`: a `#` directly followed by a word (`#  x` is no directive).
    diagnostic_comment: _ => token(prec(-1, seq('#', /[a-zA-Z][^\n]*/))),
  },
});

/**
 * Creates a rule to optionally match one or more of the rules separated by a comma
 *
 * @param {Rule} rule
 *
 * @return {ChoiceRule}
 *
 */
function commaSep(rule) {
  return optional(commaSep1(rule));
}

/**
 * Creates a rule to match one or more of the rules separated by a comma
 *
 * @param {Rule} rule
 *
 * @return {SeqRule}
 *
 */
function commaSep1(rule) {
  return seq(rule, repeat(seq(',', rule)));
}

/**
 * Creates a rule to match one or more of the rules optionally separated by a comma
 * (Bicep separates array items and object properties by a comma or a new line)
 *
 * @param {Rule} rule
 *
 * @return {SeqRule}
 *
 */
function optionalCommaSep1(rule) {
  return seq(rule, repeat(seq(optional(','), rule)), optional(','));
}

/**
 * Creates a rule to optionally match one or more of the rules optionally separated by a comma
 *
 * @param {Rule} rule
 *
 * @return {ChoiceRule}
 *
 */
function optionalCommaSep(rule) {
  return optional(optionalCommaSep1(rule));
}
