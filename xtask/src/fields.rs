//! Properties of one object that typify names alike. typify names a field
//! by sanitizing its property's name, and two names can sanitize to the
//! same field (`@type` and `type` both become `type_`, as TextUs's contact
//! phones have them): the struct would not compile. This stage, generic
//! over documents, gives each such field a name of its own: the property
//! whose name is a plain identifier keeps its field, every other one is
//! named from its characters spelled out (`@type` → `at_type`), with
//! `#[serde(rename)]` keeping the JSON name. Fields that do not collide are
//! never renamed. A leaf: it reads and edits the syntax tree only.

use std::collections::BTreeMap;

/// Renames colliding fields of every struct in `file`'s `types` module;
/// returns `Type.field → Type.new_field` for each field renamed.
pub fn distinct(file: &mut syn::File) -> anyhow::Result<Vec<String>> {
    let mut renamed = Vec::new();
    for item in file.items.iter_mut() {
        let syn::Item::Mod(module) = item else {
            continue;
        };
        if module.ident != "types" {
            continue;
        }
        let Some((_, items)) = module.content.as_mut() else {
            continue;
        };
        for item in items {
            if let syn::Item::Struct(item) = item {
                let name = item.ident.to_string();
                for (old, new) in distinct_struct(item)? {
                    renamed.push(format!("{name}.{old} → {name}.{new}"));
                }
            }
        }
    }
    Ok(renamed)
}

/// The JSON name of a field: its `#[serde(rename = "…")]`, else its ident.
fn json_name(field: &syn::Field) -> anyhow::Result<String> {
    let mut rename = None;
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("serde")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                let value: syn::LitStr = meta.value()?.parse()?;
                rename = Some(value.value());
            } else if meta.input.peek(syn::Token![=]) {
                // Another `key = value`: skip its value.
                let _: syn::Expr = meta.value()?.parse()?;
            }
            Ok(())
        })?;
    }
    let ident = field.ident.as_ref().expect("named fields").to_string();
    Ok(rename.unwrap_or(ident))
}

/// A property name that is an identifier as written (`type`, `created_at`).
fn plain(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// A field name from a property's characters, the ones sanitizing drops
/// spelled out: `@type` → `at_type`, `$ref` → `dollar_ref`.
fn spelled(name: &str) -> String {
    let mut words = String::new();
    for c in name.chars() {
        match c {
            '@' => words.push_str(" at "),
            '$' => words.push_str(" dollar "),
            '#' => words.push_str(" hash "),
            '+' => words.push_str(" plus "),
            '%' => words.push_str(" percent "),
            '&' => words.push_str(" and "),
            c => words.push(c),
        }
    }
    crate::naming::snake(words.trim())
}

fn distinct_struct(item: &mut syn::ItemStruct) -> anyhow::Result<Vec<(String, String)>> {
    let syn::Fields::Named(fields) = &mut item.fields else {
        return Ok(Vec::new());
    };
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (index, field) in fields.named.iter().enumerate() {
        let ident = field.ident.as_ref().expect("named fields").to_string();
        groups.entry(ident).or_default().push(index);
    }
    let mut taken: std::collections::BTreeSet<String> = groups.keys().cloned().collect();
    let mut renamed = Vec::new();
    for (ident, members) in groups.into_iter().filter(|(_, m)| m.len() > 1) {
        let names: Vec<String> = members
            .iter()
            .map(|&index| json_name(&fields.named[index]))
            .collect::<anyhow::Result<_>>()?;
        // The first plain-named property keeps the field; else the first.
        let keeper = names.iter().position(|name| plain(name)).unwrap_or(0);
        for (position, (&index, name)) in members.iter().zip(&names).enumerate() {
            if position == keeper {
                continue;
            }
            let mut new = spelled(name);
            let base = new.clone();
            let mut n = 2;
            while taken.contains(&new) {
                new = format!("{base}_{n}");
                n += 1;
            }
            taken.insert(new.clone());
            let field = &mut fields.named[index];
            field.ident = Some(syn::Ident::new(&new, proc_macro2::Span::call_site()));
            // A field named as its property has no rename to keep it.
            if *name == ident {
                field
                    .attrs
                    .push(syn::parse_quote!(#[serde(rename = #name)]));
            }
            renamed.push((ident.clone(), new));
        }
    }
    Ok(renamed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::ToTokens;

    fn run(source: &str) -> (String, Vec<String>) {
        let mut file: syn::File = syn::parse_str(source).unwrap();
        let renamed = distinct(&mut file).unwrap();
        (file.to_token_stream().to_string(), renamed)
    }

    #[test]
    fn a_symbol_named_property_gives_way_to_the_plain_one() {
        let (out, renamed) = run(r#"
            pub mod types {
                pub struct ContactPhone {
                    #[serde(rename = "@type", skip_serializing_if = "Option::is_none")]
                    pub type_: Option<String>,
                    #[serde(rename = "type")]
                    pub type_: Option<String>,
                    pub id: Option<String>,
                }
            }
        "#);
        assert_eq!(renamed, ["ContactPhone.type_ → ContactPhone.at_type"]);
        assert!(
            out.contains(
                r#"rename = "@type" , skip_serializing_if = "Option::is_none")] pub at_type"#
            ),
            "{out}"
        );
        assert!(out.contains(r#"rename = "type")] pub type_"#), "{out}");
        assert!(out.contains("pub id"), "{out}");
    }

    #[test]
    fn without_a_plain_name_the_first_keeps_it_and_names_stay_unique() {
        let (out, renamed) = run(r##"
            pub mod types {
                pub struct S {
                    #[serde(rename = "$ref")]
                    pub ref_: u8,
                    #[serde(rename = "@ref")]
                    pub ref_: u8,
                    #[serde(rename = "#ref")]
                    pub ref_: u8,
                    pub at_ref: u8,
                }
            }
        "##);
        assert_eq!(renamed, ["S.ref_ → S.at_ref_2", "S.ref_ → S.hash_ref"]);
        assert!(out.contains(r#"rename = "@ref")] pub at_ref_2"#), "{out}");
    }

    #[test]
    fn a_renamed_field_without_a_rename_gets_one() {
        let (out, _) = run(r#"
            pub mod types {
                pub struct S {
                    #[serde(rename = "Name")]
                    pub name: u8,
                    pub name: u8,
                }
            }
        "#);
        // `name` is plain: it keeps the field; `Name` is spelled out.
        assert!(
            out.contains(r#"# [serde (rename = "Name")] pub name_2"#),
            "{out}"
        );
    }

    #[test]
    fn structs_without_collisions_and_other_modules_are_left_alone() {
        let source = r#"
            pub mod types { pub struct S { #[serde(rename = "@type")] pub type_: u8, pub id: u8 } }
            pub mod other { pub struct T { pub a: u8, pub a: u8 } }
        "#;
        let (out, renamed) = run(source);
        assert!(renamed.is_empty());
        let expected: syn::File = syn::parse_str(source).unwrap();
        assert_eq!(out, expected.to_token_stream().to_string());
    }
}
