package store

import (
	"context"
	"fmt"
)

// Node sources, their enrollment tokens and the nodes' own credentials:
// small tables the server loads whole at start and changes through Apply.

// ListSources returns every node source, by name.
func (s *sqlStore) ListSources(ctx context.Context) ([]SourceRecord, error) {
	var rows []sourceModel
	if err := s.r.WithContext(ctx).Order("name").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: list sources: %w", err)
	}
	out := make([]SourceRecord, len(rows))
	for i, m := range rows {
		out[i] = sourceFromModel(m)
	}
	return out, nil
}

// ListEnrollTokens returns every enrollment token, by source then ID.
func (s *sqlStore) ListEnrollTokens(ctx context.Context) ([]EnrollTokenRecord, error) {
	var rows []enrollTokenModel
	if err := s.r.WithContext(ctx).Order("source, id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: list enroll tokens: %w", err)
	}
	out := make([]EnrollTokenRecord, len(rows))
	for i, m := range rows {
		out[i] = enrollTokenFromModel(m)
	}
	return out, nil
}

// ListCredentials returns every node's credential, by node.
func (s *sqlStore) ListCredentials(ctx context.Context) ([]CredentialRecord, error) {
	var rows []credentialModel
	if err := s.r.WithContext(ctx).Order("node").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: list credentials: %w", err)
	}
	out := make([]CredentialRecord, len(rows))
	for i, m := range rows {
		out[i] = credentialFromModel(m)
	}
	return out, nil
}

func sourceToModel(r SourceRecord) sourceModel {
	return sourceModel{Name: r.Name, Spec: r.Spec, Status: r.Status, Owner: r.Owner,
		CreatedAt: utc(r.CreatedAt), PolicyState: r.PolicyState}
}

func sourceFromModel(m sourceModel) SourceRecord {
	return SourceRecord{Name: m.Name, Spec: m.Spec, Status: m.Status, Owner: m.Owner,
		CreatedAt: utc(m.CreatedAt), PolicyState: m.PolicyState}
}

func enrollTokenToModel(r EnrollTokenRecord) enrollTokenModel {
	return enrollTokenModel{ID: r.ID, Source: r.Source, TokenHash: r.TokenHash, OneTime: r.OneTime,
		ExpiresAt: utcPtr(r.ExpiresAt), CreatedBy: r.CreatedBy, CreatedAt: utc(r.CreatedAt),
		Uses: r.Uses, Description: r.Description}
}

func enrollTokenFromModel(m enrollTokenModel) EnrollTokenRecord {
	return EnrollTokenRecord{ID: m.ID, Source: m.Source, TokenHash: m.TokenHash, OneTime: m.OneTime,
		ExpiresAt: utcPtr(m.ExpiresAt), CreatedBy: m.CreatedBy, CreatedAt: utc(m.CreatedAt),
		Uses: m.Uses, Description: m.Description}
}

func credentialToModel(r CredentialRecord) credentialModel {
	return credentialModel{Node: r.Node, Source: r.Source, SecretHash: r.SecretHash, CreatedAt: utc(r.CreatedAt)}
}

func credentialFromModel(m credentialModel) CredentialRecord {
	return CredentialRecord{Node: m.Node, Source: m.Source, SecretHash: m.SecretHash, CreatedAt: utc(m.CreatedAt)}
}
